"""The GetBillingOverview use case."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import (
    BillingAccount,
    BillingConfig,
    BillingRecord,
    Plan,
    overage_tokens,
)
from aioomi.domain.model.usage import PeriodUsage, period_bounds, period_start
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class BillingOverview(msgspec.Struct, frozen=True, kw_only=True):
    plan: Plan
    billing: BillingAccount
    period_start: datetime
    period_end: datetime
    usage: PeriodUsage
    overage_tokens: int
    grace_ends_at: datetime | None
    agent_token_caps: dict[str, int]
    records: list[BillingRecord]


class GetBillingOverview:
    """The owner's plan, usage against allowance this month, agent caps and billing records."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, config: BillingConfig) -> None:
        self._uow = uow
        self._clock = clock
        self._config = config

    async def __call__(self, principal: Principal) -> BillingOverview:
        ensure_permitted(principal, Permission.MANAGE_BILLING)
        account_id = principal.workspace_id
        period = period_start(self._clock.now())
        async with self._uow(account_id=account_id) as uow:
            billing = await uow.billing.get_account(account_id) or BillingAccount(account_id=account_id)
            usage = await uow.usage.period_usage(account_id, period)
            caps = await uow.usage.agent_token_caps(account_id)
            records = await uow.billing.list_records(account_id, 50)
        plan = self._config.plan_for(billing if self._config.enabled else None)
        start, end = period_bounds(period)
        return BillingOverview(
            plan=plan,
            billing=billing,
            period_start=start,
            period_end=end,
            usage=usage,
            overage_tokens=overage_tokens(plan, usage),
            grace_ends_at=billing.grace_ends(self._config.grace),
            agent_token_caps=caps,
            records=records,
        )
