"""What readiness means: the store answers, its schema is current, vector search is there."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.errors import Unavailable


class StoreStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The state of the data store as seen through the application's own connections."""

    backend: str
    reachable: bool
    vector_version: str | None = None
    applied_migrations: int = 0
    pending_migrations: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ready(self) -> bool:
        return self.reachable and not self.pending_migrations and self.vector_version is not None


class NotReady(Unavailable):
    """The process should not take traffic yet (or any more)."""

    code = "not_ready"
    title = "Not ready"
