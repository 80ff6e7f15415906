"""ListPlans: The configured plans, in display order (also when billing is off)."""

from __future__ import annotations

from aioomi.domain.model.billing import (
    BillingConfig,
    Plan,
)


class ListPlans:
    """The configured plans, in display order (also when billing is off)."""

    def __init__(self, config: BillingConfig) -> None:
        self._config = config

    def __call__(self) -> tuple[Plan, ...]:
        return self._config.catalog.plans
