"""The public widget's use cases: open an agent by its public key from an allowed origin,
start and resume sessions, send messages under the abuse limits, and the visitor's own data
(list, read, export, delete their sessions)."""

from __future__ import annotations

import builtins
from datetime import timedelta

import msgspec

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.agents import Agent, AgentNotFound, normalize_origin, refusal_message
from aioomi.domain.model.chat import (
    SESSION_PREFIX,
    ChatLimits,
    ChatMessage,
    ChatSession,
    ChatSessionNotFound,
    OriginNotAllowed,
    owner_unavailable,
    check_message,
    check_visitor_id,
    clip_user_agent,
)
from aioomi.domain.model.errors import InvalidInput, RateLimited
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.usecases.answer_chat import (
    AnswerChat,
    ChatAnswer,
    ChatCaller,
    check_agent_serves,
    own_session,
)
from aioomi.ports.clock import Clock
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


class OpenWidget:
    """The agent a widget key names, for a request from ``origin``.

    Rules: an unknown key is ``agent_not_found``; the request's ``Origin`` must be one of the
    agent's allowed origins, exactly (``origin_not_allowed``; none are allowed until the owner
    lists some, and a request without ``Origin`` is refused too); a paused agent answers
    ``agent_paused``, an owner who restricted processing ``agent_restricted``; a refused page
    origin (a well-formed one) is recorded for the owner, who can allow it from the dashboard.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock | None = None) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, public_key: str, origin: str | None) -> Agent:
        agent, owner_status = await self.resolve(public_key, origin)
        check_serving(agent, owner_status)
        return agent

    async def resolve(self, public_key: str, origin: str | None) -> tuple[Agent, AccountStatus | None]:
        """The agent after the key and origin checks, and its owner's account status (``None``:
        gone); :func:`check_serving` completes the checks (the HTTP layer answers CORS in between,
        so a browser can read why a paused agent refuses)."""
        async with self._uow(account_id=None) as uow:
            found = (await uow.agents.find_by_public_key_with_owner(public_key)
                     if public_key.startswith("pk_") else None)
        if found is None:
            raise AgentNotFound("No assistant has this key; check the snippet on your site.")
        agent, owner_status = found
        try:
            check_origin(agent, origin)
        except OriginNotAllowed:
            await self._record_refused(agent, origin)
            raise
        return agent, owner_status

    async def _record_refused(self, agent: Agent, origin: str | None) -> None:
        try:
            normalised = normalize_origin(origin or "")
        except InvalidInput:
            return
        if normalised is None or self._clock is None:
            return
        async with self._uow(account_id=agent.account_id) as uow:
            await uow.agents.record_refused_origin(agent, normalised, self._clock.now())
            await uow.commit()


def check_serving(agent: Agent, owner_status: AccountStatus | None) -> None:
    check_agent_serves(agent)
    if owner_status is not AccountStatus.ACTIVE:
        raise owner_unavailable(owner_status in (None, AccountStatus.DELETION_PENDING))


def check_origin(agent: Agent, origin: str | None) -> str:
    try:
        normalised = normalize_origin(origin or "")
    except InvalidInput:
        normalised = None
    if normalised is None or normalised not in agent.allowed_origins:
        raise OriginNotAllowed(refusal_message(normalised, agent.allowed_origins))
    return normalised


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
            (RateLimit(name="chat.new_session.visitor.minute", limit=limits.new_sessions_per_visitor_minute,
                       window=MINUTE), visitor),
            (RateLimit(name="chat.new_session.visitor.day", limit=limits.new_sessions_per_visitor_day, window=DAY),
             visitor),
        ]
        if caller.ip:
            rules += [(RateLimit(name="chat.new_session.ip.minute", limit=limits.new_sessions_per_ip_minute,
                                 window=MINUTE), caller.ip),
                      (RateLimit(name="chat.new_session.ip.day", limit=limits.new_sessions_per_ip_day, window=DAY),
                       caller.ip)]
        decisions = await self._limiter.hit_many(rules)
        denied = [d for d in decisions if not d.allowed]
        if denied:
            raise RateLimited("Too many new conversations; wait a moment and try again.",
                              retry_after_s=max(d.retry_after_s for d in denied))
        session = ChatSession(
            id=new_id(SESSION_PREFIX), account_id=agent.account_id, agent_id=agent.id, visitor_id=caller.visitor_id,
            channel=caller.channel, created_at=self._clock.now(), ip=caller.ip,
            user_agent=clip_user_agent(caller.user_agent),
        )
        async with self._uow(account_id=agent.account_id) as uow:
            await uow.chat_sessions.add(session)
            await uow.commit()
        return session


class VisitorSessions:
    """The visitor's own data: their sessions with this agent (newest first), one session with
    its messages, and deleting one (hard delete). A visitor id sees nothing but its own."""

    def __init__(self, uow: UnitOfWorkFactory, limits: ChatLimits) -> None:
        self._uow = uow
        self._limits = limits

    async def list(self, agent: Agent, visitor_id: str) -> list[ChatSession]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            return await uow.chat_sessions.list_for_visitor(agent.account_id, agent.id, visitor_id,
                                                            limit=self._limits.sessions_per_visitor_listed)

    async def read(self, agent: Agent, visitor_id: str, session_id: str) -> tuple[ChatSession, builtins.list[ChatMessage]]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            session = await own_session(uow, agent, session_id, visitor_id)
            return session, await uow.chat_messages.list_for_session(agent.account_id, session.id)

    async def delete(self, agent: Agent, visitor_id: str, session_id: str) -> None:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            session = await own_session(uow, agent, session_id, visitor_id)
            if not await uow.chat_sessions.delete(agent.account_id, session.id):
                raise ChatSessionNotFound("No such chat session.")
            await uow.commit()


class SendWidgetMessage:
    """A visitor's message through the widget: the limits first, then :class:`AnswerChat`.

    Rules: the message is checked before anything is counted (length, characters); then, all
    counted at once, messages per visitor per minute and per day, per IP per minute and per
    day, per agent per day (:class:`ChatLimits`); over any → ``rate_limited`` with the longest
    wait. The IP and agent limits hold when a client rotates its visitor id. Counters live in
    the shared store (Postgres), so every replica sees them. A retry with an ``Idempotency-Key``
    whose answer is stored complete is replayed without the model and not counted.
    """

    def __init__(self, answer: AnswerChat, limiter: RateLimiter, limits: ChatLimits) -> None:
        self._answer = answer
        self._limiter = limiter
        self._limits = limits

    async def __call__(self, agent: Agent, caller: ChatCaller, content: str, *, session_id: str,
                       idempotency_key: str | None = None, owner_checked: bool = False) -> ChatAnswer:
        """``owner_checked``: the caller found the owner's account active in this request
        (:class:`OpenWidget` reads it with the key); :class:`AnswerChat` then does not read it
        again."""
        check_visitor_id(caller.visitor_id)
        check_message(content)
        if idempotency_key is not None:  # a replay calls no model: it is not counted
            replayed = await self._answer.replay(agent, caller, session_id, idempotency_key,
                                                 owner_checked=owner_checked)
            if replayed is not None:
                return replayed
        limits = self._limits
        rules = [
            (RateLimit(name="chat.visitor.minute", limit=limits.per_visitor_minute, window=MINUTE),
             f"{agent.id}:{caller.visitor_id}"),
            (RateLimit(name="chat.visitor.day", limit=limits.per_visitor_day, window=DAY),
             f"{agent.id}:{caller.visitor_id}"),
            (RateLimit(name="chat.agent.day", limit=limits.per_agent_day, window=DAY), agent.id),
        ]
        if caller.ip:
            rules += [(RateLimit(name="chat.ip.minute", limit=limits.per_ip_minute, window=MINUTE), caller.ip),
                      (RateLimit(name="chat.ip.day", limit=limits.per_ip_day, window=DAY), caller.ip)]
        decisions = await self._limiter.hit_many(rules)
        denied = [d for d in decisions if not d.allowed]
        if denied:
            raise RateLimited("Too many messages; wait a moment and try again.",
                              retry_after_s=max(d.retry_after_s for d in denied))
        return await self._answer.start(agent, caller, content, session_id=session_id, idempotency_key=idempotency_key,
                                        owner_checked=owner_checked)


def session_export(session: ChatSession, messages: list[ChatMessage]) -> dict[str, object]:
    """A session and its messages as plain data (the visitor's and the owner's JSON export)."""
    return {
        "session": msgspec.to_builtins(session),
        "messages": [msgspec.to_builtins(m) for m in messages],
    }
