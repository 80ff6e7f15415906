"""Stored test data: an owner and an agent built in memory and stored directly, and a passage
search over a fixed list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from aioomi.domain.model.accounts import Account, AccountStatus
from aioomi.domain.model.agents import Agent, AgentSettings, check_agent_settings, new_public_key
from aioomi.domain.model.chat import Passage
from aioomi.domain.model.documents import Document, DocumentSource, DocumentStatus
from aioomi.domain.model.ids import new_id

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class ListSearch:
    """Returns the passages whose text shares a word with the query, in list order."""

    passages: list[Passage] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    async def __call__(
        self,
        *,
        account_id: str,
        agent_id: str,
        query: str,
        top_k: int,
        min_relevance: float,
        agent: object = None,
        knowledge: object = None,
    ) -> Sequence[Passage]:
        self.queries.append(query)
        words = {w.strip("?.,!").lower() for w in query.split()}
        return [p for p in self.passages if words & {w.strip("?.,!").lower() for w in p.text.split()}][:top_k]


def account(status: AccountStatus = AccountStatus.ACTIVE, *, account_id: str | None = None) -> Account:
    return Account(
        id=account_id or new_id("acct"),
        email=f"{new_id('mail')}@example.com",
        full_name="Owner",
        password_hash="x",
        google_subject=None,
        email_verified_at=NOW,
        adult_attested_at=NOW,
        accepted_policy_version="1",
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


def agent_for(owner: Account, **settings: Any) -> Agent:
    checked = check_agent_settings(AgentSettings(**({"name": "Helper"} | settings)))
    return Agent(
        **msgspec.structs.asdict(checked),
        id=new_id("agt"),
        account_id=owner.id,
        public_key=new_public_key(),
        embedding_model="fake",
        created_at=NOW,
        updated_at=NOW,
    )


async def store(container: Any, owner: Account, *agents: Agent) -> None:
    async with container.uow()(account_id=None) as uow:
        await uow.accounts.add(owner)
        for agent in agents:
            await uow.agents.add(agent)
        await uow.commit()


def document_for(account_id: str, agent_id: str, *, title: str = "Returns policy") -> Document:
    """A ready text document of the agent, to store with :func:`store_documents` (no blob, no
    chunks: for tests whose search is a :class:`ListSearch` naming its id)."""
    document_id = new_id("doc")
    return Document(
        id=document_id,
        account_id=account_id,
        agent_id=agent_id,
        title=title,
        source=DocumentSource.TEXT,
        status=DocumentStatus.READY,
        content_hash=document_id,
        blob_key=f"documents/{document_id}",
        size_bytes=1,
        created_at=NOW,
        updated_at=NOW,
    )


async def store_documents(container: Any, *documents: Document) -> None:
    for document in documents:
        async with container.uow()(account_id=document.account_id) as uow:
            await uow.documents.add(document)
            await uow.commit()
