"""Privacy policy versions: which one is in force, publishing a material change (announced at
least 30 days ahead), the worker's e-mail notices, and owners accepting a new version."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.privacy import (
    PolicyVersion,
    RightsAction,
    check_policy_publication,
    check_policy_text,
    policy_in_force,
    policy_upcoming,
)
from aioomi.domain.usecases.privacy_rights import record
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory

SEND_POLICY_NOTICES = "privacy.send_policy_notices"
NOTICE_BATCH = 200


async def current_policy_version(uow_factory: UnitOfWorkFactory, now: datetime) -> str:
    """The version sign-up must accept: the latest in force today."""
    async with uow_factory(account_id=None) as uow:
        current = policy_in_force(await uow.privacy.list_policy_versions(), now.date())
    if current is None:
        raise NotFound("No privacy policy is in force.", code="policy_not_found")
    return current.version


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
        return PublishedPolicy(current=current, upcoming=policy_upcoming(self._versions, now.date()),
                               versions=sorted(self._versions, key=lambda v: v.effective_on, reverse=True))

    def forget(self) -> None:
        """Read the store again on the next call (after this process published a version)."""
        self._versions = None


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
        return PolicyStatus(current=current, upcoming=upcoming,
                            accepted_version=account.accepted_policy_version if account else "")


class AcceptPolicy:
    """The owner accepts a published version (in force or announced); recorded on the account
    and in the audit log."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, version: str) -> str:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            if version not in {v.version for v in await uow.privacy.list_policy_versions()}:
                raise InvalidInput("No such policy version.", code="policy_version_unknown", field="version")
            account = await uow.accounts.get(principal.account_id)
            if account is None:
                raise NotFound("No such account.", code="account_not_found")
            await uow.accounts.update(msgspec.structs.replace(account, accepted_policy_version=version, updated_at=now))
            await record(uow, account.id, RightsAction.POLICY_ACCEPTED, now, version=version)
            await uow.commit()
        return version


class PublishPolicyVersion:
    """An operator publishes a material change. Rules: the effective date is at least 30 days
    away and after every published version; the version is named by its effective date and
    holds the policy's full text (Markdown, what ``/privacy`` shows); the worker then e-mails
    every account not being deleted."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, effective_on: date, summary: str = "", body: str = "") -> PolicyVersion:
        now = self._clock.now()
        check_policy_text(body)
        async with self._uow(account_id=None) as uow:
            existing = await uow.privacy.list_policy_versions()
            check_policy_publication(effective_on, now.date(), existing)
            version = PolicyVersion(version=effective_on.isoformat(), effective_on=effective_on, published_at=now,
                                    summary=summary[:2000], body=body)
            await uow.privacy.save_policy_version(version)
            await uow.commit()
        return version


class SendPolicyNotices:
    """The worker's half: e-mail every account (not being deleted) about each published version
    whose notices are not all sent, in batches, resuming after the last account notified (a
    crash resends at most one batch)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, base_url: str,
                 batch: int = NOTICE_BATCH) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")
        self._batch = batch

    async def __call__(self) -> int:
        sent = 0
        async with self._uow(account_id=None) as uow:
            pending = [v for v in await uow.privacy.list_policy_versions() if v.notices_sent_at is None]
        for version in pending:
            while True:
                async with self._uow(account_id=None) as uow:
                    ids = await uow.privacy.accounts_to_notify(version.notices_after, self._batch)
                    accounts = [a for a in [await uow.accounts.get(i) for i in ids] if a is not None]
                for account in accounts:
                    await self._mailer.send(EmailMessage(
                        to=account.email, kind="policy_change",
                        subject=f"Aioomi's privacy policy changes on {version.effective_on:%Y-%m-%d}",
                        text=(f"Hello {account.full_name},\n\nWe are updating our privacy policy. The new version "
                              f"takes effect on {version.effective_on:%Y-%m-%d}.\n\n{version.summary}\n\n"
                              f"Read and accept it at {self._base_url}/dashboard/account.\n"),
                    ))
                    sent += 1
                done = len(ids) < self._batch
                version = msgspec.structs.replace(
                    version, notices_after=ids[-1] if ids else version.notices_after,
                    notices_sent=version.notices_sent + len(accounts),
                    notices_sent_at=self._clock.now() if done else None,
                )
                async with self._uow(account_id=None) as uow:
                    await uow.privacy.save_policy_version(version)
                    await uow.commit()
                if done:
                    break
        return sent
