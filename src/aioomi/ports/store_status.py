"""Looking at the data store's health."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.health import StoreStatus


class StoreStatusProbe(Protocol):
    """Reports whether the data store is reachable, migrated and has vector search."""

    async def status(self) -> StoreStatus:
        """Never raises: an unreachable store is reported, not thrown."""
        ...
