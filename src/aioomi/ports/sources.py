"""The store of knowledge-base sources and their sync runs. It works inside a unit of work,
scoped to the unit of work's account (the scheduler's look-up of due sources runs in the system
scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aioomi.domain.model.qa_pairs import QaPair
from aioomi.domain.model.sources import Source, SourceKind, SourcePage, SourceRun


class SourceRepository(Protocol):
    async def add(self, source: Source) -> None:
        """Insert; raises :class:`~aioomi.domain.model.errors.Conflict` when the id is taken
        or when the agent already has its (single) ``upload`` or ``qa`` source."""
        ...

    async def get(self, account_id: str, source_id: str, *, for_update: bool = False) -> Source | None:
        """The account's source, or ``None``. With ``for_update`` it stays locked until the
        unit of work ends (runs of one source start one at a time)."""
        ...

    async def find_upload_source(self, account_id: str, agent_id: str) -> Source | None:
        """The agent's ``upload`` source, if it has one."""
        ...

    async def list_for_agent(self, account_id: str, agent_id: str, *, kind: SourceKind | None = None) -> list[Source]:
        """The agent's sources (of ``kind``), oldest first."""
        ...

    async def update(self, source: Source) -> bool:
        """Replace the stored source (same id and account); False if there is none."""
        ...

    async def delete(self, account_id: str, source_id: str) -> bool:
        """Remove the source, its runs and its documents (with their texts); False if there is
        none. The caller removes the documents' chunks and files."""
        ...

    async def delete_agent(self, account_id: str, agent_id: str) -> int:
        """Remove every source (and run) of the agent; return how many sources."""
        ...

    async def document_counts(self, account_id: str, agent_id: str) -> dict[str, int]:
        """How many documents each of the agent's sources holds, by source id."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Source]:
        """Scheduled sources whose ``next_sync_at`` has come, oldest first (system scope)."""
        ...

    # -- runs -----------------------------------------------------------------------------------
    async def add_run(self, run: SourceRun) -> None: ...

    async def get_run(self, account_id: str, run_id: str) -> SourceRun | None: ...

    async def update_run(self, run: SourceRun) -> bool:
        """Replace the stored run (same id and account); False if there is none."""
        ...

    async def list_runs(self, account_id: str, source_id: str, *, limit: int) -> list[SourceRun]:
        """The source's runs, newest first."""
        ...

    async def active_run(self, account_id: str, source_id: str) -> SourceRun | None:
        """The source's queued or running run, if any."""
        ...

    # -- pages of crawled sources ---------------------------------------------------------------
    async def pages(self, account_id: str, source_id: str) -> dict[str, SourcePage]:
        """The source's pages, by URL."""
        ...

    async def save_page(self, page: SourcePage) -> None:
        """Insert or replace the page of (source, url). Its document must exist."""
        ...

    async def delete_page(self, account_id: str, source_id: str, url: str) -> bool: ...

    # -- question-and-answer pairs of qa sources ------------------------------------------------
    async def save_pair(self, pair: QaPair) -> None:
        """Insert or replace the pair (its id is its document's, which must exist); the pair
        goes when its document or source is deleted."""
        ...

    async def get_pair(self, account_id: str, pair_id: str) -> QaPair | None: ...

    async def list_pairs(self, account_id: str, source_id: str) -> list[QaPair]:
        """The source's pairs, oldest first."""
        ...
