"""The store of documents, their extracted text and the knowledge base's state per agent.
It works inside a unit of work, scoped to the unit of work's account."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from aioomi.domain.model.documents import AccountDocumentTotals, Document, KnowledgeBase, KnowledgeBaseTotals
from aioomi.domain.model.pagination import PageKey


class DocumentRepository(Protocol):
    async def add(self, document: Document) -> None:
        """Insert; raises :class:`~aioomi.domain.model.errors.Conflict` when the id, or the
        agent's idempotency key, is taken."""
        ...

    async def get(self, account_id: str, document_id: str, *, for_update: bool = False) -> Document | None:
        """The account's document, or ``None``. With ``for_update`` it stays locked until the
        unit of work ends."""
        ...

    async def get_many(self, account_id: str, document_ids: Collection[str]) -> dict[str, Document]:
        """The account's documents among ``document_ids``, by id (missing ones left out)."""
        ...

    async def find_by_hash(self, account_id: str, agent_id: str, content_hash: str) -> Document | None:
        """The agent's document with these original bytes, if any."""
        ...

    async def find_by_idempotency_key(self, account_id: str, agent_id: str, key: str) -> Document | None: ...

    async def list_page(self, account_id: str, agent_id: str, *, limit: int, after: PageKey | None) -> list[Document]:
        """Up to ``limit`` of the agent's documents, newest first, right after ``after``."""
        ...

    async def list_all(self, account_id: str, agent_id: str) -> list[Document]:
        """Every document of the agent, oldest first (re-embedding, deletion)."""
        ...

    async def update(self, document: Document) -> bool:
        """Replace the stored document (same id and account); False if there is none."""
        ...

    async def delete(self, account_id: str, document_id: str) -> bool:
        """Remove the document and its text; False if there is none."""
        ...

    async def delete_agent(self, account_id: str, agent_id: str) -> int:
        """Remove every document (and text) of the agent and its knowledge-base state."""
        ...

    async def save_text(self, account_id: str, document_id: str, text: str) -> None:
        """Store (or replace) the document's extracted text."""
        ...

    async def get_text(self, account_id: str, document_id: str) -> str | None: ...

    async def totals(self, account_id: str, agent_id: str) -> KnowledgeBaseTotals:
        """How many documents the agent has (failed ones not counted) and how many characters
        their texts hold."""
        ...

    async def account_totals(self, account_id: str) -> AccountDocumentTotals:
        """How many documents the account has over all its agents (failed ones not counted) and
        the sum of their originals' ``size_bytes`` (for the plan's document and storage limits)."""
        ...

    async def knowledge_base(self, account_id: str, agent_id: str) -> KnowledgeBase | None:
        """The agent's knowledge-base state, if one was ever stored."""
        ...

    async def knowledge_base_with_totals(
        self,
        account_id: str,
        agent_id: str,
    ) -> tuple[KnowledgeBase | None, KnowledgeBaseTotals]:
        """:meth:`knowledge_base` and :meth:`totals` together, in one read (the search needs
        both on every chat turn)."""
        ...

    async def lock_knowledge_base(self, account_id: str, agent_id: str, default_model: str) -> KnowledgeBase:
        """The agent's knowledge-base state (created with ``default_model`` if missing), locked
        until the unit of work ends: uploads, ingestion and re-embedding of one agent that
        check limits or switch models take turns on it."""
        ...

    async def save_knowledge_base(self, knowledge_base: KnowledgeBase) -> None: ...
