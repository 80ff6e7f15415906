"""Curated-answer settings in memory."""

from __future__ import annotations

from collections.abc import Sequence

from aioomi.adapters.memory.sources import InMemorySourceRepository
from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.curated import CuratedSettings
from aioomi.domain.model.qa_pairs import QaPair


class InMemoryCuratedSettingsRepository:
    """:class:`aioomi.ports.curated.CuratedSettingsRepository` on a :class:`Table` of
    ``(account_id, settings)`` rows keyed by agent id."""

    def __init__(self, table: Table[tuple[str, CuratedSettings]], sources: InMemorySourceRepository) -> None:
        self._table = table
        self._sources = sources

    async def get(self, account_id: str, agent_id: str) -> CuratedSettings | None:
        row = self._table.get(agent_id)
        return row[1] if row is not None and row[0] == account_id else None

    async def put(self, account_id: str, agent_id: str, settings: CuratedSettings) -> None:
        self._table.put(agent_id, (account_id, settings))

    async def lookup(
        self,
        account_id: str,
        agent_id: str,
        document_ids: Sequence[str],
    ) -> tuple[CuratedSettings | None, list[QaPair]]:
        pairs = [
            p
            for i in sorted(set(document_ids))
            if (p := await self._sources.get_pair(account_id, i)) is not None and p.agent_id == agent_id
        ]
        return await self.get(account_id, agent_id), pairs
