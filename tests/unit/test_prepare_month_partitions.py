"""PrepareMonthPartitions (issue 15): the worker asks the store for the current month's partition
and two ahead, every six hours, on the clock's date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aioomi.domain.usecases.privacy.prepare_month_partitions import PREPARE_MONTH_PARTITIONS, PrepareMonthPartitions
from aioomi.entrypoints.worker.jobs import PERIODIC


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


class RecordingRecords:
    """Only the call the use case makes; the others are not reached."""

    def __init__(self) -> None:
        self.calls: list[tuple[datetime, int]] = []

    async def prepare_partitions(self, now: datetime, months_ahead: int) -> int:
        self.calls.append((now, months_ahead))
        return 3

    async def purge_request_log(self, before: datetime, limit: int) -> int:
        raise AssertionError("not a sweep")

    async def anonymize_request_log(self, account_ids: Sequence[str]) -> int:
        raise AssertionError("not a sweep")


async def test_the_current_month_and_two_ahead_are_prepared_on_the_clocks_date() -> None:
    records = RecordingRecords()
    now = datetime(2030, 1, 31, 23, 59, tzinfo=UTC)
    created = await PrepareMonthPartitions(records=records, clock=FixedClock(now))()  # type: ignore[arg-type]
    assert created == 3
    assert records.calls == [(now, 2)]


def test_the_worker_prepares_partitions_every_six_hours() -> None:
    assert [p.every for p in PERIODIC if p.kind == PREPARE_MONTH_PARTITIONS] == [timedelta(hours=6)]
