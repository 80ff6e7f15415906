"""What a chat turn reads before it answers, asked for and answered in one piece: the adapters
send it as one round trip (the Postgres unit of work pipelines its statements)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.billing import BillingAccount
from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.curated import CuratedSettings
from aioomi.domain.model.documents import KnowledgeBase, KnowledgeBaseTotals
from aioomi.domain.model.rate_limits import RateDecision, RateLimit
from aioomi.domain.model.usage import AllowanceState


class TurnQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The turn's read: ``hits`` are counted (one hit each, as
    :meth:`aioomi.ports.rate_limiter.RateLimiter.hit_many` would, at ``now``) before anything
    is read; the allowance of ``period`` (with the billing account when ``billing``); the
    statuses of the workspace's owners when ``owner``; the session ``session_id`` (``None``: none to read)
    with its ``last`` newest messages, and the message sent with ``idempotency_key`` in it with
    its reply; the agent's knowledge base with its totals when ``knowledge`` (what the search
    reads first); the agent's curated-answer settings and whether it has any Q&A pair at all
    when ``curated``."""

    account_id: str
    agent_id: str
    now: datetime
    hits: tuple[tuple[RateLimit, str], ...] = ()
    period: date | None = None
    billing: bool = False
    owner: bool = False
    session_id: str | None = None
    last: int = 0
    idempotency_key: str | None = None
    knowledge: bool = False
    curated: bool = False


class TurnState(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to a :class:`TurnQuery`, each part ``None`` (or empty) when not asked for:
    the rate-limit verdicts in the order of ``hits``; the allowance and the billing account;
    the account statuses of the workspace's owners (one per owner; none when no owner's account
    is left, or not asked); the session, its recent messages in order, and the keyed message with its reply; the knowledge base (``None`` also
    when the agent has none yet) with its totals; the curated-answer settings (``None``: the
    defaults) and whether the agent has any Q&A pair (``None``: not asked)."""

    decisions: tuple[RateDecision, ...] = ()
    allowance: AllowanceState | None = None
    billing: BillingAccount | None = None
    owner_statuses: tuple[AccountStatus, ...] = ()
    session: ChatSession | None = None
    recent: tuple[ChatMessage, ...] = ()
    keyed: tuple[ChatMessage, ChatMessage | None] | None = None
    knowledge: tuple[KnowledgeBase | None, KnowledgeBaseTotals] | None = None
    curated_settings: CuratedSettings | None = None
    has_pairs: bool | None = None
