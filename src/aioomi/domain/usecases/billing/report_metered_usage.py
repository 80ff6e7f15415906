"""ReportMeteredUsage: Report tokens above the plan's allowance to Stripe's billing meter."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from aioomi.domain.model.billing import (
    METER_BATCH,
    BillingAccount,
    BillingConfig,
    MeterEvent,
    meter_identifier,
    overage_tokens,
)
from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.usage import period_bounds
from aioomi.domain.usecases.billing.metered_billing_support import _periods
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class MeterReport(msgspec.Struct, frozen=True, kw_only=True):
    recorded: int = 0
    sent: int = 0


class ReportMeteredUsage:
    """Report tokens above the plan's allowance to Stripe's billing meter.

    Rules:
    - only accounts on a paid plan that bills overage; the overage is the ledger's tokens this
      period above the plan's monthly tokens;
    - first the increment is recorded as a meter event with a deterministic identifier
      (account, period, cumulative overage), under a lock on the account's billing row, so
      two workers never record the same tokens twice;
    - then unsent events go to Stripe in bounded batches, each with its identifier: a retry
      after a crash resends the same identifier and Stripe counts it once.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway | None,
        clock: Clock,
        config: BillingConfig,
        batch: int = METER_BATCH,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._config = config
        self._batch = batch

    async def __call__(self) -> MeterReport:
        if not self._config.enabled or self._gateway is None:
            return MeterReport()
        recorded = await self._record()
        sent = await self._send()
        return MeterReport(recorded=recorded, sent=sent)

    async def _paying(self) -> list[BillingAccount]:
        found: list[BillingAccount] = []
        after: str | None = None
        while True:
            async with self._uow(account_id=None) as uow:
                page = await uow.billing.list_paying(after=after, limit=self._batch)
            found.extend(b for b in page if b.effective_plan(self._config.catalog).bills_overage)
            if len(page) < self._batch:
                return found
            after = page[-1].account_id

    async def _record(self) -> int:
        now = self._clock.now()
        recorded = 0
        for listed in await self._paying():
            async with self._uow(account_id=listed.account_id) as uow:
                billing = await uow.billing.get_account(listed.account_id, for_update=True)
                if billing is None or billing.customer_id is None:
                    continue
                plan = billing.effective_plan(self._config.catalog)
                for period in _periods(now):
                    over = overage_tokens(plan, await uow.usage.period_usage(billing.account_id, period))
                    so_far, _ = await uow.billing.reported_overage(billing.account_id, period)
                    if over <= so_far:
                        continue
                    end = period_bounds(period)[1]
                    if await uow.billing.add_meter_event(
                        MeterEvent(
                            identifier=meter_identifier(billing.account_id, period, over),
                            account_id=billing.account_id,
                            customer_id=billing.customer_id,
                            period=period,
                            value=over - so_far,
                            occurred_at=min(now, end - timedelta(seconds=1)),
                        )
                    ):
                        recorded += 1
                await uow.commit()
        return recorded

    async def _send(self) -> int:
        assert self._gateway is not None
        sent = 0
        while True:
            async with self._uow(account_id=None) as uow:
                batch = await uow.billing.unsent_meter_events(self._batch)
                failure: AioomiError | None = None
                for event in batch:
                    try:
                        await self._gateway.report_meter_event(event, self._config.meter_event_name)
                    except AioomiError as error:
                        failure = error
                        break
                    await uow.billing.mark_meter_event_sent(event.identifier, self._clock.now())
                    sent += 1
                await uow.commit()
            if failure is not None:
                raise failure
            if len(batch) < self._batch:
                return sent
