"""The StartWidgetSession use case."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import (
    SESSION_PREFIX,
    ChatLimits,
    ChatSession,
    check_visitor_id,
    clip_user_agent,
)
from aioomi.domain.model.errors import RateLimited
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.model.webhook_payloads import CONVERSATION_STARTED, conversation_started
from aioomi.domain.usecases.answer_chat import (
    ChatCaller,
)
from aioomi.domain.usecases.chat.widget_chat_support import DAY, MINUTE
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.clock import Clock
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class StartWidgetSession:
    """Open a new chat session for a visitor (validated visitor id), keeping when it began,
    the visitor's IP and user agent.

    Rules: every session is a row in the owner's list, so new sessions are counted, all at
    once, per visitor per minute and per day and per IP per minute and per day
    (:class:`ChatLimits`); over any → ``rate_limited`` with the longest wait, and nothing is
    stored. The IP limits hold when a client rotates its visitor id."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, limiter: RateLimiter, limits: ChatLimits) -> None:
        self._uow = uow
        self._clock = clock
        self._limiter = limiter
        self._limits = limits

    async def __call__(self, agent: Agent, caller: ChatCaller) -> ChatSession:
        check_visitor_id(caller.visitor_id)
        limits = self._limits
        visitor = f"{agent.id}:{caller.visitor_id}"
        rules = [
            (
                RateLimit(
                    name="chat.new_session.visitor.minute", limit=limits.new_sessions_per_visitor_minute, window=MINUTE
                ),
                visitor,
            ),
            (
                RateLimit(name="chat.new_session.visitor.day", limit=limits.new_sessions_per_visitor_day, window=DAY),
                visitor,
            ),
        ]
        if caller.ip:
            rules += [
                (
                    RateLimit(
                        name="chat.new_session.ip.minute", limit=limits.new_sessions_per_ip_minute, window=MINUTE
                    ),
                    caller.ip,
                ),
                (
                    RateLimit(name="chat.new_session.ip.day", limit=limits.new_sessions_per_ip_day, window=DAY),
                    caller.ip,
                ),
            ]
        decisions = await self._limiter.hit_many(rules)
        denied = [d for d in decisions if not d.allowed]
        if denied:
            raise RateLimited(
                "Too many new conversations; wait a moment and try again.",
                retry_after_s=max(d.retry_after_s for d in denied),
            )
        session = ChatSession(
            id=new_id(SESSION_PREFIX),
            account_id=agent.account_id,
            agent_id=agent.id,
            visitor_id=caller.visitor_id,
            channel=caller.channel,
            created_at=self._clock.now(),
            ip=caller.ip,
            user_agent=clip_user_agent(caller.user_agent),
        )
        async with self._uow(account_id=agent.account_id) as uow:
            await uow.chat_sessions.add(session)
            emit_event(
                uow,
                account_id=agent.account_id,
                type=CONVERSATION_STARTED,
                data=conversation_started(session),
                at=session.created_at,
            )
            await uow.commit()
        return session
