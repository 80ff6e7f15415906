"""The document store in memory, with the same semantics as the Postgres one."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import msgspec

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.documents import (
    AccountDocumentTotals,
    Document,
    DocumentStatus,
    KnowledgeBase,
    KnowledgeBaseTotals,
)
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.pagination import PageKey


class DocumentText(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    document_id: str
    text: str


def _position(document: Document) -> tuple[datetime, str]:
    return (document.created_at, document.id)


class InMemoryDocumentRepository:
    """:class:`aioomi.ports.documents.DocumentRepository` on three :class:`Table` s
    (documents, their texts, knowledge-base states). No locks: a memory unit of work does not
    yield to other tasks between its reads and its writes."""

    def __init__(self, documents: Table[Document], texts: Table[DocumentText], bases: Table[KnowledgeBase]) -> None:
        self._documents = documents
        self._texts = texts
        self._bases = bases

    def _mine(self, account_id: str, agent_id: str) -> list[Document]:
        return [d for d in self._documents.values() if d.account_id == account_id and d.agent_id == agent_id]

    async def add(self, document: Document) -> None:
        if document.id in self._documents.rows:
            raise Conflict("The resource already exists.", code="already_exists")
        if document.idempotency_key is not None and any(
            d.idempotency_key == document.idempotency_key for d in self._mine(document.account_id, document.agent_id)
        ):
            raise Conflict("The resource already exists.", code="already_exists")
        self._documents.put(document.id, document)

    async def get(self, account_id: str, document_id: str, *, for_update: bool = False) -> Document | None:
        document = self._documents.get(document_id)
        return document if document is not None and document.account_id == account_id else None

    async def get_many(self, account_id: str, document_ids: Collection[str]) -> dict[str, Document]:
        found = {i: await self.get(account_id, i) for i in set(document_ids)}
        return {i: d for i, d in found.items() if d is not None}

    async def find_by_hash(self, account_id: str, agent_id: str, content_hash: str) -> Document | None:
        return next(
            (d for d in sorted(self._mine(account_id, agent_id), key=_position) if d.content_hash == content_hash), None
        )

    async def find_by_idempotency_key(self, account_id: str, agent_id: str, key: str) -> Document | None:
        return next((d for d in self._mine(account_id, agent_id) if d.idempotency_key == key), None)

    async def list_page(self, account_id: str, agent_id: str, *, limit: int, after: PageKey | None) -> list[Document]:
        mine = self._mine(account_id, agent_id)
        if after is not None:
            mine = [d for d in mine if _position(d) < (after.created_at, after.id)]
        return sorted(mine, key=_position, reverse=True)[:limit]

    async def list_all(self, account_id: str, agent_id: str) -> list[Document]:
        return sorted(self._mine(account_id, agent_id), key=_position)

    async def update(self, document: Document) -> bool:
        if await self.get(document.account_id, document.id) is None:
            return False
        self._documents.put(document.id, document)
        return True

    async def delete(self, account_id: str, document_id: str) -> bool:
        if await self.get(account_id, document_id) is None:
            return False
        self._documents.delete(document_id)
        self._texts.delete(document_id)
        return True

    async def delete_agent(self, account_id: str, agent_id: str) -> int:
        mine = self._mine(account_id, agent_id)
        for document in mine:
            await self.delete(account_id, document.id)
        base = self._bases.get(agent_id)
        if base is not None and base.account_id == account_id:
            self._bases.delete(agent_id)
        return len(mine)

    async def save_text(self, account_id: str, document_id: str, text: str) -> None:
        self._texts.put(document_id, DocumentText(account_id=account_id, document_id=document_id, text=text))

    async def get_text(self, account_id: str, document_id: str) -> str | None:
        row = self._texts.get(document_id)
        return row.text if row is not None and row.account_id == account_id else None

    async def totals(self, account_id: str, agent_id: str) -> KnowledgeBaseTotals:
        mine = self._mine(account_id, agent_id)
        return KnowledgeBaseTotals(
            documents=sum(1 for d in mine if d.status is not DocumentStatus.FAILED),
            characters=sum(d.char_count for d in mine),
        )

    async def account_totals(self, account_id: str) -> AccountDocumentTotals:
        mine = [d for d in self._documents.values() if d.account_id == account_id]
        return AccountDocumentTotals(
            documents=sum(1 for d in mine if d.status is not DocumentStatus.FAILED),
            stored_bytes=sum(d.size_bytes for d in mine),
        )

    async def knowledge_base(self, account_id: str, agent_id: str) -> KnowledgeBase | None:
        base = self._bases.get(agent_id)
        return base if base is not None and base.account_id == account_id else None

    async def knowledge_base_with_totals(
        self,
        account_id: str,
        agent_id: str,
    ) -> tuple[KnowledgeBase | None, KnowledgeBaseTotals]:
        return await self.knowledge_base(account_id, agent_id), await self.totals(account_id, agent_id)

    async def lock_knowledge_base(self, account_id: str, agent_id: str, default_model: str) -> KnowledgeBase:
        base = await self.knowledge_base(account_id, agent_id)
        if base is None:
            base = KnowledgeBase(account_id=account_id, agent_id=agent_id, embedding_model=default_model)
            self._bases.put(agent_id, base)
        return base

    async def save_knowledge_base(self, knowledge_base: KnowledgeBase) -> None:
        self._bases.put(knowledge_base.agent_id, knowledge_base)
