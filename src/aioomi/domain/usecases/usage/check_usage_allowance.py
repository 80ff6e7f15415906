"""CheckUsageAllowance: :class:`aioomi.ports.quota.UsageAllowance` from local state only."""

from __future__ import annotations

from aioomi.domain.model.billing import BillingAccount, BillingConfig, Plan, enforce_allowance
from aioomi.domain.model.usage import AllowanceState, period_start
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


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
        self.decide(billing, state)

    @property
    def reads_billing(self) -> bool:
        return self._config.enabled

    def decide(self, billing: BillingAccount | None, state: AllowanceState) -> None:
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
