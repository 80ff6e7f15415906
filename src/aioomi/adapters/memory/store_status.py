"""Readiness of the in-memory store: always there."""

from __future__ import annotations

from aioomi.domain.model.health import StoreStatus


class InMemoryStoreStatusProbe:
    async def status(self) -> StoreStatus:
        return StoreStatus(backend="memory", reachable=True, vector_version="in-memory")
