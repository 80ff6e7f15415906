"""What the privacy use cases share."""

from __future__ import annotations

from datetime import datetime, timedelta

from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    PolicyVersion,
    policy_in_force,
)
from aioomi.ports.unit_of_work import UnitOfWorkFactory

SEND_POLICY_NOTICES = "privacy.send_policy_notices"
POLICY_CACHE = timedelta(minutes=5)


async def current_policy_version(uow_factory: UnitOfWorkFactory, now: datetime) -> str:
    """The version sign-up must accept: the latest in force today."""
    async with uow_factory(account_id=None) as uow:
        current = policy_in_force(await uow.privacy.list_policy_versions(), now.date())
    if current is None:
        raise NotFound("No privacy policy is in force.", code="policy_not_found")
    return current.version


class PolicyVersionsCache:
    """The list of policy versions :class:`~aioomi.domain.usecases.privacy.get_published_policy.GetPublishedPolicy` keeps for ``cache_for`` (by the
    clock), one per process; :class:`~aioomi.domain.usecases.privacy.publish_policy_version.PublishPolicyVersion`
    empties it when this process publishes a version."""

    def __init__(self, cache_for: timedelta = POLICY_CACHE) -> None:
        self._cache_for = cache_for
        self._versions: list[PolicyVersion] | None = None
        self._read_at: datetime | None = None

    def fresh(self, now: datetime) -> list[PolicyVersion] | None:
        """The kept list, unless it is older than ``cache_for`` (or the clock stepped back)."""
        if self._versions is None or self._read_at is None or not now - self._cache_for < self._read_at <= now:
            return None
        return self._versions

    def keep(self, versions: list[PolicyVersion], now: datetime) -> None:
        self._versions, self._read_at = versions, now

    def forget(self) -> None:
        """Read the store again on the next call."""
        self._versions = self._read_at = None
