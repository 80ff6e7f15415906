"""RecordUsage, GetUsageReport and CheckUsageAllowance: the usage ledger and the quota check."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import BillingConfig, Plan, enforce_allowance
from aioomi.domain.model.usage import UsageEntry, UsageTotal, check_groups, check_range, period_start
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class RecordUsage:
    """Add one model call's tokens to the ledger. Rules: the entry and the monthly counters
    change in one transaction, so quotas never see one without the other."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, entry: UsageEntry) -> None:
        async with self._uow(account_id=entry.account_id) as uow:
            await uow.usage.add(entry)
            await uow.commit()


class GetUsageReport:
    """The owner's token usage in ``[since, until)`` grouped by day, agent and model.
    Rules: at most a year per request; days are UTC dates."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, principal: Principal, since: datetime, until: datetime, group_by: tuple[str, ...] = ("day", "agent", "model")
    ) -> list[UsageTotal]:
        check_range(since, until)
        groups = check_groups(group_by)
        async with self._uow(account_id=principal.account_id) as uow:
            return await uow.usage.totals(principal.account_id, since, until, groups)


class CheckUsageAllowance:
    """:class:`aioomi.ports.quota.UsageAllowance` from local state only.

    Rules:
    - the plan is the account's subscribed plan while it is paid for (or in its grace period),
      else the free plan; with billing off it is the free plan when the operator set the plans
      (``AIOOMI_BILLING_PLANS``), and no plan at all (no allowance, no limits) when not;
    - usage is read from the monthly counters (calendar months, UTC), never from Stripe;
    - an agent's hard token cap holds whatever the plan; see ``enforce_allowance``;
    - it also answers :class:`aioomi.ports.quota.PlanLimits` (same plan, same local state).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, config: BillingConfig) -> None:
        self._uow = uow
        self._clock = clock
        self._config = config

    async def check(self, account_id: str, agent_id: str, *, uow: UnitOfWork | None = None) -> None:
        if uow is not None:
            await self._check_in(uow, account_id, agent_id)
            return
        async with self._uow(account_id=account_id) as own:
            await self._check_in(own, account_id, agent_id)

    async def _check_in(self, uow: UnitOfWork, account_id: str, agent_id: str) -> None:
        period = period_start(self._clock.now())
        billing = await uow.billing.get_account(account_id) if self._config.enabled else None
        state = await uow.usage.allowance_state(account_id, agent_id, period)
        enforce_allowance(self._config.plan_for(billing), state)

    __call__ = check

    async def plan_limits(self, account_id: str) -> Plan | None:
        """:class:`aioomi.ports.quota.PlanLimits`: the account's effective plan while plans
        apply (billing on, or plans configured); ``None`` (no plan limits, only the hard caps)
        on a self-hosted server with neither."""
        if not self._config.plans_apply:
            return None
        billing = None
        if self._config.enabled:
            async with self._uow(account_id=account_id) as uow:
                billing = await uow.billing.get_account(account_id)
        return self._config.plan_for(billing)
