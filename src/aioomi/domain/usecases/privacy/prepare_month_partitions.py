"""PrepareMonthPartitions: the month partitions exist before their first row arrives."""

from __future__ import annotations

from aioomi.domain.model.retention import MONTH_PARTITIONS_AHEAD
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import OperationalRecords

PREPARE_MONTH_PARTITIONS = "privacy.prepare_month_partitions"


class PrepareMonthPartitions:
    """Create the month partitions of the tables partitioned by month (the API request log).

    Rules: the current month (UTC) and the ``MONTH_PARTITIONS_AHEAD`` months after it each have
    their partition; an existing one is left as it is (idempotent, safe from several workers);
    rows that landed in the catch-all partition for lack of their month's move into it. Returns
    how many partitions were created.
    """

    def __init__(self, records: OperationalRecords, clock: Clock) -> None:
        self._records = records
        self._clock = clock

    async def __call__(self) -> int:
        return await self._records.prepare_partitions(self._clock.now(), MONTH_PARTITIONS_AHEAD)
