"""The source store in memory, with the same semantics as the Postgres one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.documents import Document
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.qa_pairs import QaPair
from aioomi.domain.model.sources import ACTIVE_RUN_STATUSES, Source, SourceKind, SourcePage, SourceRun


class InMemorySourceRepository:
    """:class:`aioomi.ports.sources.SourceRepository` on :class:`Table` s of sources and runs
    (and the documents and texts tables, which a source's deletion empties as the cascade does)."""

    def __init__(
        self,
        sources: Table[Source],
        runs: Table[SourceRun],
        documents: Table[Document],
        texts: Table[Any],
        pages: Table[SourcePage],
        pairs: Table[QaPair],
    ) -> None:
        self._pages = pages
        self._pairs = pairs
        self._sources = sources
        self._runs = runs
        self._documents = documents
        self._texts = texts

    async def add(self, source: Source) -> None:
        if source.id in self._sources.rows:
            raise Conflict("The resource already exists.", code="already_exists")
        if source.kind in (SourceKind.UPLOAD, SourceKind.QA) and any(
            s.kind is source.kind and s.agent_id == source.agent_id for s in self._sources.rows.values()
        ):
            raise Conflict("The resource already exists.", code="already_exists")
        self._sources.put(source.id, source)

    async def get(self, account_id: str, source_id: str, *, for_update: bool = False) -> Source | None:
        source = self._sources.get(source_id)
        return source if source is not None and source.account_id == account_id else None

    async def find_upload_source(self, account_id: str, agent_id: str) -> Source | None:
        found = await self.list_for_agent(account_id, agent_id, kind=SourceKind.UPLOAD)
        return found[0] if found else None

    async def list_for_agent(self, account_id: str, agent_id: str, *, kind: SourceKind | None = None) -> list[Source]:
        return sorted(
            (
                s
                for s in self._sources.values()
                if s.account_id == account_id and s.agent_id == agent_id and (kind is None or s.kind is kind)
            ),
            key=lambda s: (s.created_at, s.id),
        )

    async def update(self, source: Source) -> bool:
        if await self.get(source.account_id, source.id) is None:
            return False
        self._sources.put(source.id, source)
        return True

    async def delete(self, account_id: str, source_id: str) -> bool:
        if await self.get(account_id, source_id) is None:
            return False
        self._sources.delete(source_id)
        for run in [r for r in self._runs.values() if r.source_id == source_id]:
            self._runs.delete(run.id)
        for document in [d for d in self._documents.values() if d.source_id == source_id]:
            self._documents.delete(document.id)
            self._texts.delete(document.id)
        for key in [k for k, p in self._pages.rows.items() if p.source_id == source_id]:
            self._pages.delete(key)
        for pair in [p for p in self._pairs.values() if p.source_id == source_id]:
            self._pairs.delete(pair.id)
        return True

    async def delete_agent(self, account_id: str, agent_id: str) -> int:
        mine = await self.list_for_agent(account_id, agent_id)
        for source in mine:
            await self.delete(account_id, source.id)
        return len(mine)

    async def document_counts(self, account_id: str, agent_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self._documents.values():
            if d.account_id == account_id and d.agent_id == agent_id and d.source_id is not None:
                counts[d.source_id] = counts.get(d.source_id, 0) + 1
        return counts

    async def due(self, now: datetime, limit: int) -> list[Source]:
        due = [s for s in self._sources.values() if s.next_sync_at is not None and s.next_sync_at <= now]
        return sorted(due, key=lambda s: (s.next_sync_at, s.id))[:limit]

    # -- runs -----------------------------------------------------------------------------------
    async def add_run(self, run: SourceRun) -> None:
        if run.id in self._runs.rows:
            raise Conflict("The resource already exists.", code="already_exists")
        if run.status in ACTIVE_RUN_STATUSES and await self.active_run(run.account_id, run.source_id) is not None:
            raise Conflict("The resource already exists.", code="already_exists")
        self._runs.put(run.id, run)

    async def get_run(self, account_id: str, run_id: str) -> SourceRun | None:
        run = self._runs.get(run_id)
        return run if run is not None and run.account_id == account_id else None

    async def update_run(self, run: SourceRun) -> bool:
        if await self.get_run(run.account_id, run.id) is None:
            return False
        self._runs.put(run.id, run)
        return True

    async def list_runs(self, account_id: str, source_id: str, *, limit: int) -> list[SourceRun]:
        mine = [r for r in self._runs.values() if r.account_id == account_id and r.source_id == source_id]
        return sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True)[:limit]

    async def active_run(self, account_id: str, source_id: str) -> SourceRun | None:
        return next(
            (
                r
                for r in self._runs.values()
                if r.account_id == account_id and r.source_id == source_id and r.status in ACTIVE_RUN_STATUSES
            ),
            None,
        )

    # -- pages ----------------------------------------------------------------------------------
    async def pages(self, account_id: str, source_id: str) -> dict[str, SourcePage]:
        # a page whose document was deleted goes with it, as the foreign key's cascade does
        return {
            p.url: p
            for p in self._pages.values()
            if p.account_id == account_id
            and p.source_id == source_id
            and self._documents.get(p.document_id) is not None
        }

    async def save_page(self, page: SourcePage) -> None:
        document = self._documents.get(page.document_id)
        if document is None or document.account_id != page.account_id:
            raise Conflict("The resource refers to, or is referred to by, another.", code="reference_conflict")
        self._pages.put(f"{page.source_id}\n{page.url}", page)

    async def delete_page(self, account_id: str, source_id: str, url: str) -> bool:
        key = f"{source_id}\n{url}"
        page = self._pages.get(key)
        if page is None or page.account_id != account_id:
            return False
        self._pages.delete(key)
        return True

    # -- question-and-answer pairs ------------------------------------------------------------
    def _alive(self, pair: QaPair | None, account_id: str) -> bool:
        # a pair whose document was deleted goes with it, as the foreign key's cascade does
        return (
            pair is not None
            and pair.account_id == account_id
            and self._documents.get(pair.id) is not None
            and self._sources.get(pair.source_id) is not None
        )

    async def save_pair(self, pair: QaPair) -> None:
        document = self._documents.get(pair.id)
        source = self._sources.get(pair.source_id)
        if (
            document is None
            or document.account_id != pair.account_id
            or source is None
            or source.account_id != pair.account_id
        ):
            raise Conflict("The resource refers to, or is referred to by, another.", code="reference_conflict")
        self._pairs.put(pair.id, pair)

    async def get_pair(self, account_id: str, pair_id: str) -> QaPair | None:
        pair = self._pairs.get(pair_id)
        return pair if self._alive(pair, account_id) else None

    def agent_has_pairs(self, account_id: str, agent_id: str) -> bool:
        """Whether the agent has any question-and-answer pair (a chat turn's read asks)."""
        return any(p.agent_id == agent_id and self._alive(p, account_id) for p in self._pairs.values())

    async def list_pairs(self, account_id: str, source_id: str) -> list[QaPair]:
        mine = [p for p in self._pairs.values() if p.source_id == source_id and self._alive(p, account_id)]
        return sorted(mine, key=lambda p: (p.created_at, p.id))
