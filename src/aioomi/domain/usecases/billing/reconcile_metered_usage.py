"""The ReconcileMeteredUsage use case."""

from __future__ import annotations

from typing import TypedDict

from aioomi.domain.model.billing import (
    METER_BATCH,
    BillingConfig,
    account_ref,
    overage_tokens,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.usecases.billing.metered_billing_support import _periods
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class UsageDifference(TypedDict):
    account_ref: str
    period: str
    ledger_overage: int
    recorded: int
    sent: int
    difference: int


class ReconciliationSummary(TypedDict):
    periods: list[str]
    accounts_checked: int
    differences: list[UsageDifference]


class ReconcileMeteredUsage:
    """Compare, per paying account and period, the overage the ledger implies with what was
    sent to the meter; record the run and every difference (and log them)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, config: BillingConfig, batch: int = METER_BATCH) -> None:
        self._uow = uow
        self._clock = clock
        self._config = config
        self._batch = batch

    async def __call__(self) -> ReconciliationSummary:
        now = self._clock.now()
        periods = _periods(now)
        differences: list[UsageDifference] = []
        checked = 0
        after: str | None = None
        while True:
            async with self._uow(account_id=None) as uow:
                page = await uow.billing.list_paying(after=after, limit=self._batch)
                for billing in page:
                    plan = billing.effective_plan(self._config.catalog)
                    if not plan.bills_overage:
                        continue
                    checked += 1
                    for period in periods:
                        expected = overage_tokens(plan, await uow.usage.period_usage(billing.account_id, period))
                        recorded, sent = await uow.billing.reported_overage(billing.account_id, period)
                        if expected != sent:
                            differences.append(
                                {
                                    "account_ref": account_ref(billing.account_id),
                                    "period": period.isoformat(),
                                    "ledger_overage": expected,
                                    "recorded": recorded,
                                    "sent": sent,
                                    "difference": expected - sent,
                                }
                            )
            if len(page) < self._batch:
                break
            after = page[-1].account_id
        summary: ReconciliationSummary = {
            "periods": [p.isoformat() for p in periods],
            "accounts_checked": checked,
            "differences": differences,
        }
        async with self._uow(account_id=None) as uow:
            await uow.billing.add_run(new_id("brun"), "reconciliation", now, summary)
            await uow.commit()
        return summary
