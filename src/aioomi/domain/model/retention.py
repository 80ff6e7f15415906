"""Retention periods: how long each kind of record is kept. Pure values, documented in docs/."""

from __future__ import annotations

from datetime import timedelta

FINISHED_JOBS = timedelta(days=7)
"""Done and failed jobs are kept a week for diagnosis, then deleted."""

MONTH_PARTITIONS_AHEAD = 2
"""Month partitions (the request log's) are created this many months ahead of the current one, so
an insert lands in its month's partition even if the worker stops for a while."""

SWEEP_BATCH = 1000
"""Rows deleted per transaction by a sweep: bounded, so no sweep holds long locks."""
