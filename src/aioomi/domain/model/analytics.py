"""The owner's analytics: per-day counts of an account's (or one agent's) conversations, and
what the answers cited, over a range of whole UTC days.

Days are UTC calendar days; a range is ``[since, until)`` of whole days, at most
:data:`MAX_ANALYTICS_DAYS` long (hostile input costs bounded work).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import msgspec

from aioomi.domain.model.errors import InvalidInput

MAX_ANALYTICS_DAYS = 366
DEFAULT_ANALYTICS_DAYS = 30
TOP_DOCUMENTS = 10
TOP_GROUPS = 10


class DayCounts(msgspec.Struct, frozen=True, kw_only=True):
    """One UTC day: conversations begun, messages stored (both sides), answers by outcome
    (``answered``: complete, ``unanswered``: the fallback, ``failed``), votes on the answers
    given that day, and answers served from a curated pair (``curated_hits``, also counted in
    ``answered``)."""

    day: date
    conversations: int = 0
    messages: int = 0
    answered: int = 0
    unanswered: int = 0
    failed: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    curated_hits: int = 0


class CitedDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A document and how many answers in the range cited it (an answer citing it twice counts
    once); ``title`` as the latest such answer saw it."""

    document_id: str
    title: str
    answers: int


class TopGroup(msgspec.Struct, frozen=True, kw_only=True):
    """An open group of unanswered or disliked questions last seen in the range."""

    id: str
    agent_id: str
    label: str
    count: int
    last_seen: datetime


class AnalyticsRange(msgspec.Struct, frozen=True, kw_only=True):
    first_day: date
    last_day: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first_day, time(), UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(), UTC)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]


class AnalyticsReport(msgspec.Struct, frozen=True, kw_only=True):
    """Every day of the range (days without activity as zeros), the totals, and the rates:
    ``answered_rate`` = answered / (answered + unanswered), ``thumbs_up_ratio`` = up / (up +
    down); ``None`` when there is nothing to divide."""

    agent_id: str | None
    range: AnalyticsRange
    days: list[DayCounts]
    totals: DayCounts
    answered_rate: float | None
    thumbs_up_ratio: float | None
    top_documents: list[CitedDocument]
    top_groups: list[TopGroup]


def check_range(first: str | None, last: str | None, today: date) -> AnalyticsRange:
    """``from`` and ``to`` as ISO dates (``YYYY-MM-DD``), both included; by default the last 30
    days to ``today``; ``from`` after ``to`` or a range over 366 days → ``invalid_date_range``."""

    def parse(raw: str, field: str) -> date:
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidInput("Give a date as YYYY-MM-DD.", code="invalid_date_range", field=field) from None

    last_day = parse(last, "to") if last else today
    first_day = parse(first, "from") if first else last_day - timedelta(days=DEFAULT_ANALYTICS_DAYS - 1)
    if first_day > last_day:
        raise InvalidInput("`from` is after `to`.", code="invalid_date_range", field="from")
    if (last_day - first_day).days + 1 > MAX_ANALYTICS_DAYS:
        raise InvalidInput(f"Choose at most {MAX_ANALYTICS_DAYS} days.", code="invalid_date_range", field="from")
    return AnalyticsRange(first_day=first_day, last_day=last_day)


def ratio(part: int, other: int) -> float | None:
    return None if part + other == 0 else round(part / (part + other), 4)


def report(
    agent_id: str | None,
    span: AnalyticsRange,
    counted: list[DayCounts],
    top_documents: list[CitedDocument],
    top_groups: list[TopGroup],
) -> AnalyticsReport:
    """Fill the days without activity and add up the totals."""
    by_day = {d.day: d for d in counted}
    days = [by_day.get(day, DayCounts(day=day)) for day in span.days()]
    fields = [f for f in DayCounts.__struct_fields__ if f != "day"]
    totals = DayCounts(day=span.first_day, **{f: sum(getattr(d, f) for d in days) for f in fields})
    return AnalyticsReport(
        agent_id=agent_id,
        range=span,
        days=days,
        totals=totals,
        answered_rate=ratio(totals.answered, totals.unanswered),
        thumbs_up_ratio=ratio(totals.thumbs_up, totals.thumbs_down),
        top_documents=top_documents,
        top_groups=top_groups,
    )
