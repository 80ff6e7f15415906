"""SendHandoffMessage: the visitor writes to the person (waiting or with a person)."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import MESSAGE_PREFIX, ChatLimits, ChatMessage, Role, check_message, check_visitor_id
from aioomi.domain.model.handoff import HandoffEvent, HandoffNotActive, handoff_of
from aioomi.domain.model.ids import new_id
from aioomi.domain.usecases.handoff.support import check_visitor_limits, post_message, retrying, visitor_session
from aioomi.ports.clock import Clock
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SendHandoffMessage:
    """A visitor's message in a conversation a person is asked for or holds.

    Rules: the message is checked first (1–4,000 characters, no control characters); then
    counted against the chat's limits, with the same counters as messages to the assistant
    (``rate_limited``); the session must be the visitor's own (``session_not_found``) and
    ``waiting`` or ``with_human`` (``handoff_not_active``); the message is stored in the
    conversation with its ``message`` event; no model is called and nothing is metered."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, limiter: RateLimiter, limits: ChatLimits) -> None:
        self._uow = uow
        self._clock = clock
        self._limiter = limiter
        self._limits = limits

    async def __call__(
        self, agent: Agent, visitor_id: str, session_id: str, content: str, *, ip: str | None = None
    ) -> tuple[HandoffEvent, ChatMessage]:
        check_visitor_id(visitor_id)
        text = check_message(content)
        async with self._uow(account_id=agent.account_id) as uow:  # a session not held is refused uncounted
            if not handoff_of(await visitor_session(uow, agent, session_id, visitor_id)).held:
                raise HandoffNotActive("No person is involved in this conversation now.")
        await check_visitor_limits(self._limiter, self._limits, agent, visitor_id, ip)

        async def attempt() -> tuple[HandoffEvent, ChatMessage]:
            now = self._clock.now()
            async with self._uow(account_id=agent.account_id) as uow:
                session = await visitor_session(uow, agent, session_id, visitor_id)
                message = ChatMessage(
                    id=new_id(MESSAGE_PREFIX),
                    account_id=agent.account_id,
                    agent_id=agent.id,
                    session_id=session.id,
                    role=Role.USER,
                    content=text,
                    created_at=now,
                )
                event = await post_message(uow, session, message, now)
                await uow.commit()
            return event, message

        return await retrying(attempt)
