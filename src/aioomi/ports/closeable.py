"""The one lifecycle promise of an adapter holding outbound connections (an HTTP client)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Closeable(Protocol):
    """An adapter that keeps connections open between calls. The composition root closes each
    one once, when the process stops (``aioomi.container.stop``)."""

    async def aclose(self) -> None:
        """Release the connections; the adapter is not used afterwards."""
