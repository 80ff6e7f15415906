"""ListPlans: The configured plans, in display order (also when billing is off)."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.billing import (
    BillingConfig,
    Plan,
)


class PlanOffer(msgspec.Struct, frozen=True, kw_only=True):
    """The plans on offer and whether the server bills (``billing_enabled``) and applies plan
    limits (``plans_apply``: billing on, or plans configured)."""

    plans: tuple[Plan, ...]
    billing_enabled: bool
    plans_apply: bool


class ListPlans:
    """The configured plans, in display order (also when billing is off), with whether billing
    and the plans' limits apply on this server."""

    def __init__(self, config: BillingConfig) -> None:
        self._config = config

    async def __call__(self) -> PlanOffer:
        config = self._config
        return PlanOffer(plans=config.catalog.plans, billing_enabled=config.enabled, plans_apply=config.plans_apply)
