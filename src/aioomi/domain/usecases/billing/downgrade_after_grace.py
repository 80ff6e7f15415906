"""The DowngradeAfterGrace use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.billing import (
    SEND_NOTICE_JOB,
    BillingConfig,
    Notice,
)
from aioomi.domain.model.jobs import NewJob
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DowngradeAfterGrace:
    """Move accounts whose payment failed more than the grace period ago to the free plan.
    Rules: bounded batches; each account once (``downgraded_at``); the owner is e-mailed;
    a later ``invoice.paid`` or a new subscription restores the plan."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, config: BillingConfig, batch: int = 100) -> None:
        self._uow = uow
        self._clock = clock
        self._config = config
        self._batch = batch

    async def __call__(self) -> int:
        now = self._clock.now()
        total = 0
        while True:
            async with self._uow(account_id=None) as uow:
                due = await uow.billing.list_grace_expired(now - self._config.grace, self._batch)
                for billing in due:
                    await uow.billing.save_account(msgspec.structs.replace(billing, downgraded_at=now, updated_at=now))
                    await uow.jobs.enqueue(
                        NewJob(
                            kind=SEND_NOTICE_JOB,
                            payload={"account_id": billing.account_id, "notice": str(Notice.DOWNGRADED)},
                            dedupe_key=f"{Notice.DOWNGRADED}:{billing.account_id}:{billing.payment_failed_at}",
                        )
                    )
                await uow.commit()
            total += len(due)
            if len(due) < self._batch:
                return total
