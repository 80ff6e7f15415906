"""The document store on Postgres. It runs on the unit of work's connection, so the
transaction and its tenant scope (row-level security) apply; every query also filters by
account itself."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import msgspec

from aioomi.adapters.postgres.repository import PostgresRepository, params_of
from aioomi.domain.model.documents import AccountDocumentTotals, Document, KnowledgeBase, KnowledgeBaseTotals
from aioomi.domain.model.pagination import PageKey

_FIELDS = (
    "id",
    "account_id",
    "agent_id",
    "title",
    "source",
    "source_url",
    "filename",
    "content_type",
    "kind",
    "status",
    "error",
    "progress_done",
    "progress_total",
    "content_hash",
    "blob_key",
    "size_bytes",
    "pages",
    "char_count",
    "chunk_count",
    "embedding_model",
    "version",
    "idempotency_key",
    "created_at",
    "updated_at",
    "processed_at",
    "source_id",
)
_COLUMNS = ", ".join(_FIELDS)
_VALUES = ", ".join(f"%({f})s" for f in _FIELDS)
_SETS = ", ".join(f"{f} = %({f})s" for f in _FIELDS if f not in ("id", "account_id", "agent_id", "created_at"))


def _document(row: dict[str, Any]) -> Document:
    return msgspec.convert(row, Document)


class PostgresDocumentRepository(PostgresRepository):
    """:class:`aioomi.ports.documents.DocumentRepository` on ``documents``,
    ``document_texts`` and ``knowledge_bases``."""

    async def add(self, document: Document) -> None:
        await self._execute(f"INSERT INTO documents ({_COLUMNS}) VALUES ({_VALUES})", params_of(document))

    async def get(self, account_id: str, document_id: str, *, for_update: bool = False) -> Document | None:
        lock = " FOR UPDATE" if for_update else ""
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE id = %s AND account_id = %s{lock}", (document_id, account_id)
        )
        return _document(rows[0]) if rows else None

    async def get_many(self, account_id: str, document_ids: Collection[str]) -> dict[str, Document]:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE account_id = %s AND id = ANY(%s)", (account_id, list(document_ids))
        )
        return {r["id"]: _document(r) for r in rows}

    async def find_by_hash(self, account_id: str, agent_id: str, content_hash: str) -> Document | None:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE account_id = %s AND agent_id = %s AND content_hash = %s "
            "ORDER BY created_at, id LIMIT 1",
            (account_id, agent_id, content_hash),
        )
        return _document(rows[0]) if rows else None

    async def find_by_idempotency_key(self, account_id: str, agent_id: str, key: str) -> Document | None:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE account_id = %s AND agent_id = %s AND idempotency_key = %s",
            (account_id, agent_id, key),
        )
        return _document(rows[0]) if rows else None

    async def list_page(self, account_id: str, agent_id: str, *, limit: int, after: PageKey | None) -> list[Document]:
        if after is None:
            rows = await self._rows(
                f"SELECT {_COLUMNS} FROM documents WHERE account_id = %s AND agent_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT %s",
                (account_id, agent_id, limit),
            )
        else:
            rows = await self._rows(
                f"SELECT {_COLUMNS} FROM documents WHERE account_id = %s AND agent_id = %s "
                "AND (created_at, id) < (%s, %s) ORDER BY created_at DESC, id DESC LIMIT %s",
                (account_id, agent_id, after.created_at, after.id, limit),
            )
        return [_document(r) for r in rows]

    async def list_all(self, account_id: str, agent_id: str) -> list[Document]:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE account_id = %s AND agent_id = %s ORDER BY created_at, id",
            (account_id, agent_id),
        )
        return [_document(r) for r in rows]

    async def update(self, document: Document) -> bool:
        return 1 == await self._execute(
            f"UPDATE documents SET {_SETS} WHERE id = %(id)s AND account_id = %(account_id)s", params_of(document)
        )

    async def delete(self, account_id: str, document_id: str) -> bool:
        return 1 == await self._execute(
            "DELETE FROM documents WHERE id = %s AND account_id = %s", (document_id, account_id)
        )

    async def delete_agent(self, account_id: str, agent_id: str) -> int:
        count = await self._execute(
            "DELETE FROM documents WHERE account_id = %s AND agent_id = %s", (account_id, agent_id)
        )
        await self._execute(
            "DELETE FROM knowledge_bases WHERE account_id = %s AND agent_id = %s", (account_id, agent_id)
        )
        return count

    async def save_text(self, account_id: str, document_id: str, text: str) -> None:
        await self._execute(
            "INSERT INTO document_texts (document_id, account_id, text) VALUES (%s, %s, %s) "
            "ON CONFLICT (document_id) DO UPDATE SET text = excluded.text",
            (document_id, account_id, text),
        )

    async def get_text(self, account_id: str, document_id: str) -> str | None:
        rows = await self._rows(
            "SELECT text FROM document_texts WHERE document_id = %s AND account_id = %s", (document_id, account_id)
        )
        return rows[0]["text"] if rows else None

    async def totals(self, account_id: str, agent_id: str) -> KnowledgeBaseTotals:
        rows = await self._rows(
            "SELECT count(*) FILTER (WHERE status <> 'failed') AS documents, "
            "coalesce(sum(char_count), 0)::bigint AS characters FROM documents WHERE account_id = %s AND agent_id = %s",
            (account_id, agent_id),
        )
        return KnowledgeBaseTotals(documents=int(rows[0]["documents"]), characters=int(rows[0]["characters"]))

    async def account_totals(self, account_id: str) -> AccountDocumentTotals:
        rows = await self._rows(
            "SELECT count(*) FILTER (WHERE status <> 'failed') AS documents, "
            "coalesce(sum(size_bytes), 0)::bigint AS stored_bytes FROM documents WHERE account_id = %s",
            (account_id,),
        )
        return AccountDocumentTotals(documents=int(rows[0]["documents"]), stored_bytes=int(rows[0]["stored_bytes"]))

    async def knowledge_base(self, account_id: str, agent_id: str) -> KnowledgeBase | None:
        rows = await self._rows(
            "SELECT account_id, agent_id, embedding_model, pending_model FROM knowledge_bases "
            "WHERE account_id = %s AND agent_id = %s",
            (account_id, agent_id),
        )
        return msgspec.convert(rows[0], KnowledgeBase) if rows else None

    async def knowledge_base_with_totals(
        self,
        account_id: str,
        agent_id: str,
    ) -> tuple[KnowledgeBase | None, KnowledgeBaseTotals]:
        row = await self._row(KNOWLEDGE_BASE_WITH_TOTALS, {"account": account_id, "agent": agent_id})
        assert row is not None
        return knowledge_base_with_totals(account_id, agent_id, row)

    async def lock_knowledge_base(self, account_id: str, agent_id: str, default_model: str) -> KnowledgeBase:
        await self._execute(
            "INSERT INTO knowledge_bases (agent_id, account_id, embedding_model) VALUES (%s, %s, %s) "
            "ON CONFLICT (agent_id) DO NOTHING",
            (agent_id, account_id, default_model),
        )
        rows = await self._rows(
            "SELECT account_id, agent_id, embedding_model, pending_model FROM knowledge_bases "
            "WHERE account_id = %s AND agent_id = %s FOR UPDATE",
            (account_id, agent_id),
        )
        return msgspec.convert(rows[0], KnowledgeBase)

    async def save_knowledge_base(self, knowledge_base: KnowledgeBase) -> None:
        await self._execute(
            "INSERT INTO knowledge_bases (agent_id, account_id, embedding_model, pending_model) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (agent_id) DO UPDATE SET embedding_model = excluded.embedding_model, "
            "pending_model = excluded.pending_model, updated_at = now()",
            (
                knowledge_base.agent_id,
                knowledge_base.account_id,
                knowledge_base.embedding_model,
                knowledge_base.pending_model,
            ),
        )


# The agent's knowledge base (its current model) and its totals in one row (parameters
# ``account``, ``agent``): read by the search, or with a chat turn's one read.
KNOWLEDGE_BASE_WITH_TOTALS = (
    "SELECT kb.embedding_model, kb.pending_model, t.documents, t.characters FROM "
    "(SELECT count(*) FILTER (WHERE status <> 'failed') AS documents, "
    "coalesce(sum(char_count), 0)::bigint AS characters FROM documents "
    "WHERE account_id = %(account)s AND agent_id = %(agent)s) AS t "
    "LEFT JOIN knowledge_bases kb ON kb.account_id = %(account)s AND kb.agent_id = %(agent)s"
)


def knowledge_base_with_totals(
    account_id: str, agent_id: str, row: dict[str, Any]
) -> tuple[KnowledgeBase | None, KnowledgeBaseTotals]:
    """The row of :data:`KNOWLEDGE_BASE_WITH_TOTALS` as the domain reads it."""
    base = (
        KnowledgeBase(
            account_id=account_id,
            agent_id=agent_id,
            embedding_model=row["embedding_model"],
            pending_model=row["pending_model"],
        )
        if row["embedding_model"] is not None
        else None
    )
    return base, KnowledgeBaseTotals(documents=int(row["documents"]), characters=int(row["characters"]))
