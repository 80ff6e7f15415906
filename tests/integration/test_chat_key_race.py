"""Two sends of one message with the same Idempotency-Key, the second read before the first is
stored (issue 15): the turn's writes go with its COMMIT, so the taken key is found there, and
the second send is refused as ``message_in_progress`` with nothing of it stored. On memory and
on Postgres alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.domain.model.agents import AnswerMode
from aioomi.domain.model.chat import ChatMessage, MessageInProgress, Passage, Role
from aioomi.domain.model.ids import new_id
from aioomi.domain.usecases.answer_chat import ChatCaller
from tests.unit.chat_support import NOW, VISITOR, ListSearch, account, agent_for, answer_chat, store

KEY = "send-once"


@dataclass
class RacingSearch:
    """A passage search during which another request stores the visitor's message under KEY:
    the race between the turn's read and its writes, made certain."""

    container: object
    session_id: str = ""

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
        async with self.container.uow()(account_id=account_id) as uow:  # type: ignore[attr-defined]
            await uow.chat_messages.add(
                ChatMessage(
                    id=new_id("msg"),
                    account_id=account_id,
                    agent_id=agent_id,
                    session_id=self.session_id,
                    role=Role.USER,
                    content="Sent twice",
                    idempotency_key=KEY,
                    created_at=NOW + timedelta(seconds=5),
                )
            )
            await uow.commit()
        return []


@pytest.fixture(params=["memory", "postgres"])
def container(request: pytest.FixtureRequest):
    return request.getfixturevalue(f"{request.param}_container")


async def test_a_key_taken_between_the_read_and_the_writes_is_refused_as_in_progress(container) -> None:
    owner = account()
    agent = agent_for(owner, answer_mode=AnswerMode.ASSISTED)
    await store(container, owner, agent)
    caller = ChatCaller(visitor_id=VISITOR)
    first = await answer_chat(container, ScriptedChatModel(), ListSearch())(agent, caller, "Hi")
    [e async for e in first.events()]
    racing = RacingSearch(container, session_id=first.session_id)
    with pytest.raises(MessageInProgress):
        await answer_chat(container, ScriptedChatModel(), racing)(
            agent, caller, "Sent twice", session_id=first.session_id, idempotency_key=KEY
        )
    async with container.uow()(account_id=owner.id) as uow:
        stored = await uow.chat_messages.list_for_session(owner.id, first.session_id)
    # The first turn (question and answer) and the racing message; nothing of the refused send.
    assert sorted((m.role, m.content) for m in stored if m.role is Role.USER) == [
        (Role.USER, "Hi"),
        (Role.USER, "Sent twice"),
    ]
    assert len(stored) == 3
