"""What the privacy use cases share."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    policy_in_force,
)
from aioomi.ports.unit_of_work import UnitOfWorkFactory

SEND_POLICY_NOTICES = "privacy.send_policy_notices"


async def current_policy_version(uow_factory: UnitOfWorkFactory, now: datetime) -> str:
    """The version sign-up must accept: the latest in force today."""
    async with uow_factory(account_id=None) as uow:
        current = policy_in_force(await uow.privacy.list_policy_versions(), now.date())
    if current is None:
        raise NotFound("No privacy policy is in force.", code="policy_not_found")
    return current.version
