"""The SendWidgetMessage use case."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import (
    ChatLimits,
    check_message,
    check_visitor_id,
)
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.usecases.answer_chat import (
    AnswerChat,
    ChatAnswer,
    ChatCaller,
)
from aioomi.domain.usecases.chat.replay_answer import ReplayAnswer
from aioomi.domain.usecases.chat.widget_chat_support import DAY, MINUTE


class SendWidgetMessage:
    """A visitor's message through the widget: the limits first, then :class:`AnswerChat`
    (a retry with a known Idempotency-Key: :class:`ReplayAnswer` first).

    Rules: the message is checked before anything is counted (length, characters); then, all
    counted at once, messages per visitor per minute and per day, per IP per minute and per
    day, per agent per day (:class:`ChatLimits`); over any → ``rate_limited`` with the longest
    wait. The IP and agent limits hold when a client rotates its visitor id. Counters live in
    the shared store (Postgres), so every replica sees them; they are counted in the turn's own
    read (:class:`AnswerChat` ``limits``), in the same round trip. A retry with an ``Idempotency-Key``
    whose answer is stored complete is replayed without the model and not counted.
    """

    def __init__(self, answer: AnswerChat, replay: ReplayAnswer, limits: ChatLimits) -> None:
        self._answer = answer
        self._replay = replay
        self._limits = limits

    async def __call__(
        self,
        agent: Agent,
        caller: ChatCaller,
        content: str,
        *,
        session_id: str,
        idempotency_key: str | None = None,
        owner_checked: bool = False,
    ) -> ChatAnswer:
        """``owner_checked``: the caller found the agent's workspace serving in this request
        (:class:`OpenWidget` reads its owners' statuses with the key); :class:`AnswerChat` then
        does not read them again."""
        check_visitor_id(caller.visitor_id)
        check_message(content)
        if idempotency_key is not None:  # a replay calls no model: it is not counted
            replayed = await self._replay(agent, caller, session_id, idempotency_key, owner_checked=owner_checked)
            if replayed is not None:
                return replayed
        limits = self._limits
        rules = [
            (
                RateLimit(name="chat.visitor.minute", limit=limits.per_visitor_minute, window=MINUTE),
                f"{agent.id}:{caller.visitor_id}",
            ),
            (
                RateLimit(name="chat.visitor.day", limit=limits.per_visitor_day, window=DAY),
                f"{agent.id}:{caller.visitor_id}",
            ),
            (RateLimit(name="chat.agent.day", limit=limits.per_agent_day, window=DAY), agent.id),
        ]
        if caller.ip:
            rules += [
                (RateLimit(name="chat.ip.minute", limit=limits.per_ip_minute, window=MINUTE), caller.ip),
                (RateLimit(name="chat.ip.day", limit=limits.per_ip_day, window=DAY), caller.ip),
            ]
        # Counted with the turn's own read (one round trip), before anything else is decided.
        return await self._answer(
            agent,
            caller,
            content,
            session_id=session_id,
            idempotency_key=idempotency_key,
            owner_checked=owner_checked,
            limits=rules,
        )
