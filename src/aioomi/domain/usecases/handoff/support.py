"""Steps the handoff use cases share: finding the conversation (the visitor's own, or the
owner's), applying a move or a message with its numbered event in one unit of work, and the
visitor's message limits (the same counters as the chat's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import SESSION_PREFIX, ChatLimits, ChatMessage, ChatSession, ChatSessionNotFound
from aioomi.domain.model.errors import RateLimited
from aioomi.domain.model.handoff import (
    EVENT_OF,
    HandoffAction,
    HandoffChanged,
    HandoffEvent,
    HandoffEventKind,
    HandoffSettings,
    handoff_of,
    wait_expired,
)
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.model.webhook_payloads import MESSAGE_CREATED, handoff_changed, message_created
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

NOTIFY_OWNER_JOB = "handoff.notify_owner"
EVENTS_PAGE = 100
"""At most this many events per read: a stream's memory stays bounded however far behind it is."""
INBOX_LIMIT = 100
ATTEMPTS = 3
MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)

T = TypeVar("T")


async def settings_of(uow: UnitOfWork, account_id: str, agent_id: str) -> HandoffSettings:
    """The agent's handoff settings, or the defaults (handoff off) when never set."""
    return await uow.handoffs.get_settings(account_id, agent_id) or HandoffSettings()


async def visitor_session(uow: UnitOfWork, agent: Agent, session_id: str, visitor_id: str) -> ChatSession:
    """The visitor's own session with this agent, or ``session_not_found`` (also anyone else's)."""
    session = await uow.chat_sessions.get(agent.account_id, session_id) if is_id(session_id, SESSION_PREFIX) else None
    if session is None or session.agent_id != agent.id or session.visitor_id != visitor_id:
        raise ChatSessionNotFound("No such chat session.")
    return session


async def owner_session(uow: UnitOfWork, principal: Principal, session_id: str) -> ChatSession:
    """The owner's session (any of their agents'), or ``session_not_found``."""
    session = (
        await uow.chat_sessions.get(principal.workspace_id, session_id) if is_id(session_id, SESSION_PREFIX) else None
    )
    if session is None:
        raise ChatSessionNotFound("No such chat session.")
    return session


async def announce(uow: UnitOfWork, session: ChatSession, event: HandoffEvent) -> None:
    """The one place every handoff event passes, inside the unit of work that records it: the
    owner's e-mail is enqueued here for a request, and the outbound webhooks
    ``handoff.requested``, ``handoff.taken`` and ``handoff.ended`` (payload version 1, see
    docs/webhooks.md) are emitted in the same transaction."""
    if event.kind is HandoffEventKind.REQUESTED:
        await uow.jobs.enqueue(
            NewJob(
                kind=NOTIFY_OWNER_JOB,
                payload={"account_id": event.account_id, "session_id": event.session_id, "seq": event.seq},
            )
        )
    webhook = handoff_changed(session, event)
    if webhook is not None:
        type_, data = webhook
        emit_event(uow, account_id=event.account_id, type=type_, data=data, at=event.created_at)


async def move(uow: UnitOfWork, session: ChatSession, action: HandoffAction, now: datetime) -> HandoffEvent:
    """Apply ``action`` to the conversation and record its event (not committed)."""
    current = handoff_of(session)
    after = current.apply(action, now)
    event = HandoffEvent(
        account_id=session.account_id,
        session_id=session.id,
        seq=after.seq,
        kind=EVENT_OF[action],
        state=after.state,
        created_at=now,
    )
    await uow.handoffs.record(session, current.seq, after, event)
    await announce(uow, session, event)
    return event


async def post_message(uow: UnitOfWork, session: ChatSession, message: ChatMessage, now: datetime) -> HandoffEvent:
    """Record a message of a held conversation with its event (not committed)."""
    current = handoff_of(session)
    after = current.with_message()
    event = HandoffEvent(
        account_id=session.account_id,
        session_id=session.id,
        seq=after.seq,
        kind=HandoffEventKind.MESSAGE,
        state=after.state,
        created_at=now,
        message_id=message.id,
    )
    await uow.handoffs.record(session, current.seq, after, event, message)
    await announce(uow, session, event)
    # A message between the visitor and a person is a message of the conversation like any other.
    emit_event(uow, account_id=session.account_id, type=MESSAGE_CREATED, data=message_created(message), at=now)
    return event


async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run ``attempt`` again when the conversation changed under it (another message or move
    committed first); after :data:`ATTEMPTS` tries the conflict reaches the caller."""
    for tries in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except HandoffChanged:
            if tries == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def expire_if_stale(
    uow_factory: UnitOfWorkFactory, session: ChatSession, settings: HandoffSettings, now: datetime
) -> ChatSession:
    """A waiting conversation past the maximum wait goes back to the assistant (with an
    ``expired`` event the visitor's stream shows); any other conversation is returned as it is."""
    if not wait_expired(handoff_of(session), settings, now):
        return session
    async with uow_factory(account_id=session.account_id) as uow:
        try:
            await move(uow, session, HandoffAction.EXPIRE, now)
            await uow.commit()
        except HandoffChanged:
            pass  # someone took it (or it expired) meanwhile: the stored state wins
    # The committed unit of work is over (Postgres refuses a statement after its COMMIT): the
    # stored state is read in a unit of its own.
    async with uow_factory(account_id=session.account_id, read_only=True) as uow:
        fresh = await uow.chat_sessions.get(session.account_id, session.id)
    return fresh or session


async def check_visitor_limits(
    limiter: RateLimiter, limits: ChatLimits, agent: Agent, visitor_id: str, ip: str | None
) -> None:
    """A visitor's message to a person counts against the same limits (and counters) as a
    message to the assistant: per visitor per minute and day, per IP, per agent per day."""
    rules = [
        (
            RateLimit(name="chat.visitor.minute", limit=limits.per_visitor_minute, window=MINUTE),
            f"{agent.id}:{visitor_id}",
        ),
        (RateLimit(name="chat.visitor.day", limit=limits.per_visitor_day, window=DAY), f"{agent.id}:{visitor_id}"),
        (RateLimit(name="chat.agent.day", limit=limits.per_agent_day, window=DAY), agent.id),
    ]
    if ip:
        rules += [
            (RateLimit(name="chat.ip.minute", limit=limits.per_ip_minute, window=MINUTE), ip),
            (RateLimit(name="chat.ip.day", limit=limits.per_ip_day, window=DAY), ip),
        ]
    decisions = await limiter.hit_many(rules)
    denied = [d for d in decisions if not d.allowed]
    if denied:
        raise RateLimited(
            "Too many messages; wait a moment and try again.", retry_after_s=max(d.retry_after_s for d in denied)
        )
