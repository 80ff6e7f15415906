"""Background jobs: what the worker runs, and the pure rules for retrying them."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import msgspec


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """One unit of background work. ``payload`` is JSON; ``attempts`` counts starts so far."""

    id: str
    kind: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    created_at: datetime
    dedupe_key: str | None = None
    last_error: str | None = None
    locked_by: str | None = None
    locked_until: datetime | None = None
    finished_at: datetime | None = None


class NewJob(msgspec.Struct, frozen=True, kw_only=True):
    """A job to enqueue. A ``dedupe_key`` makes enqueueing idempotent: a second job with the
    same key is dropped while the first exists (periodic tasks use ``name:slot``)."""

    kind: str
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    run_at: datetime | None = None
    max_attempts: int = 5
    dedupe_key: str | None = None


BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=30)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed start: 2 s, 4 s, 8 s … capped at 30 min."""
    if attempts < 1:
        raise ValueError("attempts counts starts and is at least 1 after a failure")
    delay: timedelta = BACKOFF_BASE * (2 ** min(attempts - 1, 20))
    return min(delay, BACKOFF_CAP)


def periodic_slot(now: datetime, every: timedelta) -> datetime:
    """The start of the period of length ``every`` that contains ``now`` (aligned to the epoch),
    so that every worker computes the same slot and enqueues the same deduplicated job."""
    if every <= timedelta(0):
        raise ValueError("a period must be positive")
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    periods = (now - epoch) // every
    return epoch + periods * every
