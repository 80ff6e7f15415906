"""Usage data (the policy's "token usage"): one ledger entry per model call, and the pure
arithmetic of monthly periods and allowances that quotas and metered billing share."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import msgspec

from aioomi.domain.model.errors import AioomiError, InvalidInput

GROUPS = ("day", "agent", "model")
MAX_RANGE_DAYS = 366


class UsageKind(enum.StrEnum):
    CHAT = "chat"
    EMBEDDING = "embedding"


class UsageEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Tokens one model call used. ``session_id`` is the chat session, when there is one."""

    id: str
    account_id: str
    agent_id: str
    model: str
    kind: UsageKind
    prompt_tokens: int
    completion_tokens: int
    occurred_at: datetime
    session_id: str | None = None

    def __post_init__(self) -> None:
        if self.prompt_tokens < 0 or self.completion_tokens < 0:
            raise InvalidInput("Token counts are never negative.", code="invalid_usage")

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class UsageTotal(msgspec.Struct, frozen=True, kw_only=True):
    """Sums over one group; a key not grouped by is ``None``."""

    day: date | None = None
    agent_id: str | None = None
    model: str | None = None
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class PeriodUsage(msgspec.Struct, frozen=True, kw_only=True):
    """What was used in one monthly period: chat messages answered and tokens (all kinds)."""

    messages: int = 0
    tokens: int = 0


class AllowanceState(msgspec.Struct, frozen=True, kw_only=True):
    """What a quota check reads, in one look-up: the account's use this period, the agent's,
    and the agent's optional hard cap in tokens."""

    account: PeriodUsage = msgspec.field(default_factory=PeriodUsage)
    agent: PeriodUsage = msgspec.field(default_factory=PeriodUsage)
    agent_token_cap: int | None = None


class QuotaExceeded(AioomiError):
    """The plan's monthly allowance (or the agent's spending cap) is used up."""

    code = "quota_exceeded"
    title = "Allowance used up"


def period_start(at: datetime) -> date:
    """Usage periods are calendar months in UTC; a period is named by its first day."""
    at = at.astimezone(UTC)
    return date(at.year, at.month, 1)


def next_period(start: date) -> date:
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_bounds(start: date) -> tuple[datetime, datetime]:
    end = next_period(start)
    return (datetime(start.year, start.month, 1, tzinfo=UTC), datetime(end.year, end.month, 1, tzinfo=UTC))


def check_groups(group_by: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [g for g in group_by if g not in GROUPS]
    if unknown:
        raise InvalidInput(f"Group by day, agent or model, not {unknown[0]!r}.", code="invalid_group", field="group_by")
    return tuple(g for g in GROUPS if g in group_by)


def check_range(since: datetime, until: datetime) -> None:
    if until <= since:
        raise InvalidInput("`to` must come after `from`.", code="invalid_range", field="to")
    if (until - since).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"Ask for at most {MAX_RANGE_DAYS} days at once.", code="invalid_range", field="to")
