"""The one pair of date filters every list and report takes: ``from`` and ``to``, each either a
plain date (``2026-03-01``, a UTC day) or an RFC 3339 date-time (``2026-03-01T12:00:00Z``).

``from`` is inclusive: a date means the start of that day. ``to`` is inclusive for a date (the
whole day counts) and exclusive for a date-time (up to that instant).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from litestar.params import QueryParameter

from aioomi.domain.model.errors import InvalidInput
from aioomi.entrypoints.http.problems import bounded_day

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WORDS = "Use a date (2026-03-01) or an RFC 3339 date-time with its offset (2026-03-01T12:00:00Z)."

From = Annotated[
    str | None,
    QueryParameter(
        name="from",
        required=False,
        max_length=40,
        description="From this UTC day (2026-03-01) or instant (RFC 3339), inclusive",
    ),
]
To = Annotated[
    str | None,
    QueryParameter(
        name="to",
        required=False,
        max_length=40,
        description="To this UTC day, inclusive (2026-03-31), or before this instant (RFC 3339)",
    ),
]


def _parse(raw: str, field: str, *, end: bool) -> datetime:
    text = raw.strip()
    try:
        if _DAY.match(text):
            day = bounded_day(date.fromisoformat(text), field)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        found = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"`{field}`: {_WORDS}", code="invalid_date", field=field) from None
    if found.tzinfo is None or "T" not in text.upper():
        raise InvalidInput(f"`{field}`: {_WORDS}", code="invalid_date", field=field)
    bounded_day(found.date(), field)  # the days around it must exist too (9999-12-31 has no next day)
    return found.astimezone(UTC)


def parse_range(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """``[from, to)`` as instants (``None`` where not given); ``to`` must come after ``from``."""
    start = _parse(since, "from", end=False) if since else None
    stop = _parse(until, "to", end=True) if until else None
    if start is not None and stop is not None and stop <= start:
        raise InvalidInput("`to` must come after `from`.", code="invalid_range", field="to")
    return start, stop
