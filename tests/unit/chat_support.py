"""Helpers for the chat tests: an owner and an agent stored directly, a passage search over a
fixed list, an allowance that can be used up, and AnswerChat built on the memory adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.domain.model.accounts import Account, AccountStatus
from aioomi.domain.model.agents import Agent, AgentSettings, check_agent_settings, new_public_key
from aioomi.domain.model.chat import Passage
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.usage import QuotaExceeded
from aioomi.domain.usecases.answer_chat import AnswerChat

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
VISITOR = "visitor-0123456789abcdef"


@dataclass
class ListSearch:
    """Returns the passages whose text shares a word with the query, in list order."""

    passages: list[Passage] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    async def __call__(
        self, *, account_id: str, agent_id: str, query: str, top_k: int, min_relevance: float, agent: object = None
    ) -> Sequence[Passage]:
        self.queries.append(query)
        words = {w.strip("?.,!").lower() for w in query.split()}
        return [p for p in self.passages if words & {w.strip("?.,!").lower() for w in p.text.split()}][:top_k]


@dataclass
class SwitchAllowance:
    exhausted: bool = False

    async def check(self, account_id: str, agent_id: str, *, uow: object = None) -> None:
        if self.exhausted:
            raise QuotaExceeded("Allowance used up.")


def account(status: AccountStatus = AccountStatus.ACTIVE) -> Account:
    return Account(
        id=new_id("acct"),
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


def answer_chat(
    container: Any,
    model: ScriptedChatModel,
    search: ListSearch,
    allowance: SwitchAllowance | None = None,
    **options: Any,
) -> AnswerChat:
    return AnswerChat(container.uow(), container.clock(), model, search, allowance or SwitchAllowance(), **options)
