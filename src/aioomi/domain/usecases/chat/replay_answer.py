"""ReplayAnswer: the stored answer to a message sent again with its Idempotency-Key."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import SESSION_PREFIX, MessageStatus, check_idempotency_key
from aioomi.domain.model.ids import is_id
from aioomi.domain.usecases.answer_chat import (
    ChatAnswer,
    ChatCaller,
    check_agent_serves,
    check_owner_allows,
    owned,
    replayed_answer,
)
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReplayAnswer:
    """Replay, without the model, the stored complete answer to a message already sent with
    this Idempotency-Key in the visitor's session.

    Rules: the key is checked as :class:`~aioomi.domain.usecases.answer_chat.AnswerChat` checks
    it (``None`` when there is none); the agent must be active and its owner's account not
    restricted; the session must be this visitor's with this agent (``session_not_found``);
    ``None`` when the key is new, or its answer failed or is still streaming
    (:class:`~aioomi.domain.usecases.answer_chat.AnswerChat` decides those). One read-only unit
    of work. Callers use it to let a replay through without counting it against the visitor's
    limits.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, agent: Agent, caller: ChatCaller, session_id: str, idempotency_key: str, *, owner_checked: bool = False
    ) -> ChatAnswer | None:
        """``owner_checked``: the caller found the agent's workspace serving in this request."""
        key = check_idempotency_key(idempotency_key)
        if key is None:
            return None
        check_agent_serves(agent)
        async with self._uow(account_id=agent.account_id, read_only=True) as uow:
            if not owner_checked:
                await check_owner_allows(uow, agent)
            # The session and the message sent with the key, with its reply: one read.
            found, _, keyed = (
                await uow.chat_sessions.get_with_recent_and_keyed(
                    agent.account_id, session_id, last=0, idempotency_key=key
                )
                if is_id(session_id, SESSION_PREFIX)
                else (None, [], None)
            )
            session = owned(found, agent, caller.visitor_id)
        reply = keyed[1] if keyed is not None else None
        if reply is None or reply.status is not MessageStatus.COMPLETE:
            return None
        return ChatAnswer(message_id=reply.id, session_id=session.id, events=replayed_answer(reply))
