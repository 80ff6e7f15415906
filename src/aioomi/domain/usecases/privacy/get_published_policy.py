"""The GetPublishedPolicy use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    PolicyVersion,
    policy_in_force,
    policy_upcoming,
)
from aioomi.domain.usecases.privacy.policy_versions_support import PolicyVersionsCache
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class PublishedPolicy(msgspec.Struct, frozen=True, kw_only=True):
    current: PolicyVersion
    upcoming: PolicyVersion | None
    versions: list[PolicyVersion]
    """Every published version, newest first."""


class GetPublishedPolicy:
    """The one source of the policy version for pages (sign-up form, footer, ``/privacy``) and
    sign-up: the version in force today, the one announced next (during its 30-day notice),
    and every version.

    Rules: read from the store; the list of versions is kept ``POLICY_CACHE`` (by the clock)
    so a page view costs no query, and which version is in force is decided on every call
    from today's date: a version published meanwhile takes effect at least 30 days later, so
    the cache can never show a stale version in force.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, cache: PolicyVersionsCache) -> None:
        self._uow = uow
        self._clock = clock
        self._cache = cache

    async def __call__(self) -> PublishedPolicy:
        now = self._clock.now()
        versions = self._cache.fresh(now)
        if versions is None:
            async with self._uow(account_id=None) as uow:
                versions = await uow.privacy.list_policy_versions()
            self._cache.keep(versions, now)
        current = policy_in_force(versions, now.date())
        if current is None:
            raise NotFound("No privacy policy is in force.", code="policy_not_found")
        return PublishedPolicy(
            current=current,
            upcoming=policy_upcoming(versions, now.date()),
            versions=sorted(versions, key=lambda v: v.effective_on, reverse=True),
        )
