"""The GetPolicyStatus use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    PolicyVersion,
    policy_in_force,
    policy_upcoming,
)
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class PolicyStatus(msgspec.Struct, frozen=True, kw_only=True):
    current: PolicyVersion
    upcoming: PolicyVersion | None
    accepted_version: str

    @property
    def must_accept(self) -> str | None:
        latest = self.upcoming or self.current
        return latest.version if latest.version != self.accepted_version else None


class GetPolicyStatus:
    """The version in force, the next one announced (if any), and which one the owner accepted."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal | None) -> PolicyStatus:
        today = self._clock.now().date()
        async with self._uow(account_id=principal.account_id if principal else None) as uow:
            versions = await uow.privacy.list_policy_versions()
            account = await uow.accounts.get(principal.account_id) if principal else None
        current = policy_in_force(versions, today)
        if current is None:
            raise NotFound("No privacy policy is in force.", code="policy_not_found")
        upcoming = policy_upcoming(versions, today)
        return PolicyStatus(
            current=current, upcoming=upcoming, accepted_version=account.accepted_policy_version if account else ""
        )
