"""The source store on Postgres (``knowledge_sources`` and ``source_runs``). It runs on the unit of
work's connection, so the transaction and its tenant scope (row-level security) apply; every
query also filters by account itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.qa_pairs import QaPair
from aioomi.domain.model.sources import Source, SourceKind, SourcePage, SourceRun

_SOURCE = (
    "id",
    "account_id",
    "agent_id",
    "kind",
    "name",
    "settings",
    "schedule",
    "created_at",
    "updated_at",
    "last_synced_at",
    "next_sync_at",
)
_S_COLUMNS = ", ".join(_SOURCE)
_S_VALUES = ", ".join(f"%({f})s" for f in _SOURCE)
_S_SETS = ", ".join(
    f"{f} = %({f})s" for f in _SOURCE if f not in ("id", "account_id", "agent_id", "kind", "created_at")
)

_RUN = (
    "id",
    "account_id",
    "agent_id",
    "source_id",
    "status",
    "counts",
    "failures",
    "cancel_requested",
    "error",
    "created_at",
    "started_at",
    "finished_at",
)
_R_COLUMNS = ", ".join(_RUN)
_R_VALUES = ", ".join(f"%({f})s" for f in _RUN)
_R_SETS = ", ".join(
    f"{f} = %({f})s" for f in _RUN if f not in ("id", "account_id", "agent_id", "source_id", "created_at")
)


def _params(struct: msgspec.Struct) -> dict[str, Any]:
    row = msgspec.to_builtins(struct, builtin_types=(datetime,))
    for key in ("settings", "counts", "failures", "links", "alternatives"):
        if key in row:
            row[key] = Jsonb(row[key])
    return row


def _source(row: dict[str, Any]) -> Source:
    return msgspec.convert(row, Source)


def _run(row: dict[str, Any]) -> SourceRun:
    return msgspec.convert(row, SourceRun)


class PostgresSourceRepository(PostgresRepository):
    """:class:`aioomi.ports.sources.SourceRepository` on ``knowledge_sources`` and ``source_runs``."""

    async def add(self, source: Source) -> None:
        await self._execute(f"INSERT INTO knowledge_sources ({_S_COLUMNS}) VALUES ({_S_VALUES})", _params(source))

    async def get(self, account_id: str, source_id: str, *, for_update: bool = False) -> Source | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._row(
            f"SELECT {_S_COLUMNS} FROM knowledge_sources WHERE id = %s AND account_id = %s{lock}",
            (source_id, account_id),
        )
        return _source(row) if row else None

    async def find_upload_source(self, account_id: str, agent_id: str) -> Source | None:
        row = await self._row(
            f"SELECT {_S_COLUMNS} FROM knowledge_sources WHERE account_id = %s AND agent_id = %s AND kind = 'upload'",
            (account_id, agent_id),
        )
        return _source(row) if row else None

    async def list_for_agent(self, account_id: str, agent_id: str, *, kind: SourceKind | None = None) -> list[Source]:
        rows = await self._rows(
            f"SELECT {_S_COLUMNS} FROM knowledge_sources WHERE account_id = %s AND agent_id = %s "
            "AND (%s::text IS NULL OR kind = %s) ORDER BY created_at, id",
            (account_id, agent_id, kind and kind.value, kind and kind.value),
        )
        return [_source(r) for r in rows]

    async def update(self, source: Source) -> bool:
        return 1 == await self._execute(
            f"UPDATE knowledge_sources SET {_S_SETS} WHERE id = %(id)s AND account_id = %(account_id)s", _params(source)
        )

    async def delete(self, account_id: str, source_id: str) -> bool:
        # documents, their texts and the runs go with it (ON DELETE CASCADE)
        return 1 == await self._execute(
            "DELETE FROM knowledge_sources WHERE id = %s AND account_id = %s", (source_id, account_id)
        )

    async def delete_agent(self, account_id: str, agent_id: str) -> int:
        return await self._execute(
            "DELETE FROM knowledge_sources WHERE account_id = %s AND agent_id = %s", (account_id, agent_id)
        )

    async def document_counts(self, account_id: str, agent_id: str) -> dict[str, int]:
        rows = await self._rows(
            "SELECT source_id, count(*) AS n FROM documents WHERE account_id = %s AND agent_id = %s "
            "AND source_id IS NOT NULL GROUP BY source_id",
            (account_id, agent_id),
        )
        return {r["source_id"]: int(r["n"]) for r in rows}

    async def due(self, now: datetime, limit: int) -> list[Source]:
        rows = await self._rows(
            f"SELECT {_S_COLUMNS} FROM knowledge_sources WHERE next_sync_at <= %s ORDER BY next_sync_at, id LIMIT %s",
            (now, limit),
        )
        return [_source(r) for r in rows]

    # -- runs -----------------------------------------------------------------------------------
    async def add_run(self, run: SourceRun) -> None:
        await self._execute(f"INSERT INTO source_runs ({_R_COLUMNS}) VALUES ({_R_VALUES})", _params(run))

    async def get_run(self, account_id: str, run_id: str) -> SourceRun | None:
        row = await self._row(
            f"SELECT {_R_COLUMNS} FROM source_runs WHERE id = %s AND account_id = %s", (run_id, account_id)
        )
        return _run(row) if row else None

    async def update_run(self, run: SourceRun) -> bool:
        return 1 == await self._execute(
            f"UPDATE source_runs SET {_R_SETS} WHERE id = %(id)s AND account_id = %(account_id)s", _params(run)
        )

    async def list_runs(self, account_id: str, source_id: str, *, limit: int) -> list[SourceRun]:
        rows = await self._rows(
            f"SELECT {_R_COLUMNS} FROM source_runs WHERE account_id = %s AND source_id = %s "
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            (account_id, source_id, limit),
        )
        return [_run(r) for r in rows]

    async def active_run(self, account_id: str, source_id: str) -> SourceRun | None:
        row = await self._row(
            f"SELECT {_R_COLUMNS} FROM source_runs WHERE account_id = %s AND source_id = %s "
            "AND status IN ('queued', 'running') LIMIT 1",
            (account_id, source_id),
        )
        return _run(row) if row else None

    # -- pages ----------------------------------------------------------------------------------
    async def pages(self, account_id: str, source_id: str) -> dict[str, SourcePage]:
        rows = await self._rows(
            "SELECT account_id, source_id, url, document_id, etag, last_modified, links, missing_runs "
            "FROM source_pages WHERE account_id = %s AND source_id = %s",
            (account_id, source_id),
        )
        return {r["url"]: msgspec.convert(r, SourcePage) for r in rows}

    async def save_page(self, page: SourcePage) -> None:
        await self._execute(
            "INSERT INTO source_pages (account_id, source_id, url, document_id, etag, last_modified, links, "
            "missing_runs) VALUES (%(account_id)s, %(source_id)s, %(url)s, %(document_id)s, %(etag)s, "
            "%(last_modified)s, %(links)s, %(missing_runs)s) ON CONFLICT (source_id, url) DO UPDATE SET "
            "document_id = excluded.document_id, etag = excluded.etag, last_modified = excluded.last_modified, "
            "links = excluded.links, missing_runs = excluded.missing_runs",
            _params(page),
        )

    async def delete_page(self, account_id: str, source_id: str, url: str) -> bool:
        return 1 == await self._execute(
            "DELETE FROM source_pages WHERE account_id = %s AND source_id = %s AND url = %s",
            (account_id, source_id, url),
        )

    # -- question-and-answer pairs --------------------------------------------------------------
    _PAIR = "id, account_id, agent_id, source_id, question, answer, alternatives, created_at, updated_at"

    async def save_pair(self, pair: QaPair) -> None:
        await self._execute(
            f"INSERT INTO qa_pairs ({self._PAIR}) VALUES (%(id)s, %(account_id)s, %(agent_id)s, %(source_id)s, "
            "%(question)s, %(answer)s, %(alternatives)s, %(created_at)s, %(updated_at)s) ON CONFLICT (id) DO UPDATE "
            "SET question = excluded.question, answer = excluded.answer, alternatives = excluded.alternatives, "
            "updated_at = excluded.updated_at WHERE qa_pairs.account_id = excluded.account_id",
            _params(pair),
        )

    async def get_pair(self, account_id: str, pair_id: str) -> QaPair | None:
        row = await self._row(
            f"SELECT {self._PAIR} FROM qa_pairs WHERE id = %s AND account_id = %s", (pair_id, account_id)
        )
        return msgspec.convert(row, QaPair) if row else None

    async def list_pairs(self, account_id: str, source_id: str) -> list[QaPair]:
        rows = await self._rows(
            f"SELECT {self._PAIR} FROM qa_pairs WHERE account_id = %s AND source_id = %s ORDER BY created_at, id",
            (account_id, source_id),
        )
        return [msgspec.convert(r, QaPair) for r in rows]
