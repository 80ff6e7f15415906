"""The GetPublishedPolicy use case."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    PolicyVersion,
    policy_in_force,
    policy_upcoming,
)
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class PublishedPolicy(msgspec.Struct, frozen=True, kw_only=True):
    current: PolicyVersion
    upcoming: PolicyVersion | None
    versions: list[PolicyVersion]
    """Every published version, newest first."""


POLICY_CACHE = timedelta(minutes=5)


class GetPublishedPolicy:
    """The one source of the policy version for pages (sign-up form, footer, ``/privacy``) and
    sign-up: the version in force today, the one announced next (during its 30-day notice),
    and every version.

    Rules: read from the store; the list of versions is kept ``POLICY_CACHE`` (by the clock)
    so a page view costs no query, and which version is in force is decided on every call
    from today's date: a version published meanwhile takes effect at least 30 days later, so
    the cache can never show a stale version in force.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, cache_for: timedelta = POLICY_CACHE) -> None:
        self._uow = uow
        self._clock = clock
        self._cache_for = cache_for
        self._versions: list[PolicyVersion] | None = None
        self._read_at: datetime | None = None

    async def __call__(self) -> PublishedPolicy:
        now = self._clock.now()
        if self._versions is None or self._read_at is None or not now - self._cache_for < self._read_at <= now:
            async with self._uow(account_id=None) as uow:
                self._versions = await uow.privacy.list_policy_versions()
            self._read_at = now
        current = policy_in_force(self._versions, now.date())
        if current is None:
            raise NotFound("No privacy policy is in force.", code="policy_not_found")
        return PublishedPolicy(
            current=current,
            upcoming=policy_upcoming(self._versions, now.date()),
            versions=sorted(self._versions, key=lambda v: v.effective_on, reverse=True),
        )

    def forget(self) -> None:
        """Read the store again on the next call (after this process published a version)."""
        self._versions = None
