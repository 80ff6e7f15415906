"""A visitor rates an answer in the widget."""

from __future__ import annotations

from datetime import timedelta

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import MESSAGE_PREFIX, ChatLimits, MessageStatus, Role, check_visitor_id
from aioomi.domain.model.errors import RateLimited
from aioomi.domain.model.feedback import (
    Feedback,
    FeedbackNotAllowed,
    MessageNotFound,
    check_comment,
    check_rating,
    vote,
)
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.model.webhook_payloads import FEEDBACK_CREATED, feedback_created
from aioomi.domain.usecases.answer_chat import ChatCaller, own_session
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.clock import Clock
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)
RATED = (MessageStatus.COMPLETE, MessageStatus.UNANSWERED)


class RateAnswer:
    """Store a visitor's thumbs up or down (and optional comment) on an answer.

    Rules:
    - the rating is ``up`` or ``down``; the comment is optional, at most 1,000 characters, no
      control characters; both are checked before anything is counted;
    - counted like messages, under their own names so votes do not eat the visitor's message
      allowance: per visitor per minute and per day, per IP per minute and per day
      (:class:`ChatLimits`); over any → ``rate_limited`` with the longest wait, nothing stored;
    - the session must be the visitor's own with this agent (``session_not_found`` otherwise,
      also for anyone else's), the message one of its messages (``message_not_found``);
    - only a finished answer of the assistant (``complete`` or ``unanswered``) can be rated
      (``feedback_not_allowed``);
    - one vote per answer (its session is one visitor's), changeable: a new vote replaces the
      last, keeps the first vote's time and moves ``updated_at``;
    - every stored vote (a first one or a change) emits ``feedback.created`` in the same unit of
      work; a refused vote stores and emits nothing.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, limiter: RateLimiter, limits: ChatLimits) -> None:
        self._uow = uow
        self._clock = clock
        self._limiter = limiter
        self._limits = limits

    async def __call__(
        self,
        agent: Agent,
        caller: ChatCaller,
        *,
        session_id: str,
        message_id: str,
        rating: str,
        comment: str | None = None,
    ) -> Feedback:
        check_visitor_id(caller.visitor_id)
        checked_rating = check_rating(rating)
        checked_comment = check_comment(comment)
        await self._count(agent, caller)
        async with self._uow(account_id=agent.account_id) as uow:
            session = await own_session(uow, agent, session_id, caller.visitor_id)
            message = (
                await uow.chat_messages.get(agent.account_id, message_id) if is_id(message_id, MESSAGE_PREFIX) else None
            )
            if message is None or message.session_id != session.id:
                raise MessageNotFound("No such message in this conversation.")
            if message.role is not Role.ASSISTANT or message.status not in RATED:
                raise FeedbackNotAllowed("Only a finished answer of the assistant can be rated.")
            feedback = vote(message.feedback, checked_rating, checked_comment, self._clock.now())
            if not await uow.feedback.rate(agent.account_id, message.id, feedback):
                raise MessageNotFound("No such message in this conversation.")
            emit_event(
                uow,
                account_id=agent.account_id,
                type=FEEDBACK_CREATED,
                data=feedback_created(message, feedback),
                at=feedback.updated_at,
            )
            await uow.commit()
        return feedback

    async def _count(self, agent: Agent, caller: ChatCaller) -> None:
        limits = self._limits
        visitor = f"{agent.id}:{caller.visitor_id}"
        rules = [
            (RateLimit(name="chat.feedback.visitor.minute", limit=limits.per_visitor_minute, window=MINUTE), visitor),
            (RateLimit(name="chat.feedback.visitor.day", limit=limits.per_visitor_day, window=DAY), visitor),
        ]
        if caller.ip:
            rules += [
                (RateLimit(name="chat.feedback.ip.minute", limit=limits.per_ip_minute, window=MINUTE), caller.ip),
                (RateLimit(name="chat.feedback.ip.day", limit=limits.per_ip_day, window=DAY), caller.ip),
            ]
        denied = [d for d in await self._limiter.hit_many(rules) if not d.allowed]
        if denied:
            raise RateLimited(
                "Too many ratings; wait a moment and try again.", retry_after_s=max(d.retry_after_s for d in denied)
            )
