"""Policy versions' use cases, rule by rule, on the memory container with a manual clock.

Written to kill the mutants of ``domain/usecases/policy_versions.py`` (since split into ``domain/usecases/privacy/``) (docs/privacy.md,
"Mutation testing"); dates, counts and texts are written in the test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.errors import InvalidInput, NotFound, Unavailable
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.privacy import PolicyVersion
from aioomi.domain.usecases.privacy.policy_versions_support import current_policy_version
from aioomi.ports.mailer import Mailer
from tests.integration.accounts_support import PASSWORD
from tests.unit.test_account_usecases import container, outbox, principal, rows, signed_up  # noqa: F401 - fixtures

TEXT = "# Privacy Policy\n\nA clearer retention table.\n"
SEEDED = "2026-02-15"
"""The version every store starts with (the migrations' seed, mirrored by the memory store)."""


class SettableClock(ManualClock):
    """A manual clock that can also be set back (as a corrected system clock is)."""

    def set(self, moment: datetime) -> None:
        self._now = moment


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(datetime.now(UTC))  # today: a privacy policy is in force


def set_clock(clock: ManualClock, moment: datetime) -> None:
    assert isinstance(clock, SettableClock)
    clock.set(moment)


async def store_version(container: Container, effective_on: date) -> None:
    """A version written straight to the store (as another process publishing it would)."""
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.save_policy_version(
            PolicyVersion(
                version=effective_on.isoformat(),
                effective_on=effective_on,
                published_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        await uow.commit()


async def test_the_published_policy_lists_every_version_newest_first(container: Container, clock: ManualClock) -> None:
    today = clock.now().date()
    later = await container.publish_policy_version()(today + timedelta(days=40), "Later.", TEXT)
    published = container.published_policy()
    container.policy_cache().forget()
    policy = await published()
    assert (policy.current.version, policy.upcoming.version) == (SEEDED, later.version)
    assert [v.version for v in policy.versions] == [later.version, SEEDED]


async def test_the_published_policy_is_read_again_after_5_minutes(container: Container, clock: ManualClock) -> None:
    set_clock(clock, datetime(2026, 3, 1, 12, tzinfo=UTC))
    published = container.published_policy()
    container.policy_cache().forget()
    assert (await published()).upcoming is None
    await store_version(container, date(2026, 6, 1))  # published by another process
    clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
    assert (await published()).upcoming is None  # the cached list, 4 min 59 s old
    clock.advance(timedelta(seconds=1))
    assert (await published()).upcoming.version == "2026-06-01"  # 5 minutes: read again
    await store_version(container, date(2026, 7, 1))
    set_clock(clock, clock.now() - timedelta(seconds=1))  # the clock stepped back: the cache is not trusted
    assert [v.version for v in (await published()).versions] == ["2026-07-01", "2026-06-01", SEEDED]
    await store_version(container, date(2026, 8, 1))
    container.policy_cache().forget()
    assert len((await published()).versions) == 4


async def test_with_no_version_in_force_every_reader_says_so(container: Container, clock: ManualClock) -> None:
    set_clock(clock, datetime(2026, 2, 14, 23, 59, tzinfo=UTC))  # the day before the seeded version
    published = container.published_policy()
    container.policy_cache().forget()
    for call in (
        published,
        lambda: container.policy_status()(None),
        lambda: current_policy_version(container.uow(), clock.now()),
    ):
        with pytest.raises(NotFound) as refused:
            await call()
        assert (refused.value.code, refused.value.detail) == ("policy_not_found", "No privacy policy is in force.")
    clock.advance(timedelta(minutes=1))  # 2026-02-15 00:00: in force
    assert await current_policy_version(container.uow(), clock.now()) == SEEDED
    assert (await container.policy_status()(None)).current.version == SEEDED


async def test_an_owner_must_accept_the_latest_version_announced(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    anonymous = await container.policy_status()(None)
    assert (anonymous.current.version, anonymous.upcoming, anonymous.accepted_version) == (SEEDED, None, "")
    status = await container.policy_status()(who)
    assert (status.accepted_version, status.must_accept) == (SEEDED, None)
    effective = clock.now().date() + timedelta(days=30)
    await container.publish_policy_version()(effective, "Clearer.", TEXT)
    status = await container.policy_status()(who)
    assert (status.current.version, status.upcoming.version, status.must_accept) == (
        SEEDED,
        effective.isoformat(),
        effective.isoformat(),
    )
    with pytest.raises(InvalidInput) as refused:
        await container.accept_policy()(who, "2031-01-01")
    assert (refused.value.code, refused.value.field, refused.value.detail) == (
        "policy_version_unknown",
        "version",
        "No such policy version.",
    )
    clock.advance(timedelta(hours=1))
    accepted_at = clock.now()
    assert await container.accept_policy()(who, effective.isoformat()) == effective.isoformat()
    [account] = rows(container, "accounts")
    assert (account.accepted_policy_version, account.updated_at) == (effective.isoformat(), accepted_at)
    [event] = [e for e in rows(container, "privacy_audit_log") if e.action == "policy_accepted"]
    assert (event.account_id, event.at, event.detail) == (
        who.account_id,
        accepted_at,
        {"version": effective.isoformat()},
    )
    assert (await container.policy_status()(who)).must_accept is None
    ghost = msgspec.structs.replace(who, account_id="acct_ghost")
    with pytest.raises(NotFound) as unknown:
        await container.accept_policy()(ghost, SEEDED)
    assert (unknown.value.code, unknown.value.detail) == ("account_not_found", "No such account.")


async def test_a_published_version_is_named_by_its_date_and_keeps_its_text(
    container: Container, clock: ManualClock
) -> None:
    set_clock(clock, datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    published_at = clock.now()
    version = await container.publish_policy_version()(date(2026, 3, 31), "s" * 2001, TEXT)
    assert (version.version, version.effective_on, version.published_at, version.body) == (
        "2026-03-31",
        date(2026, 3, 31),
        published_at,
        TEXT,
    )
    assert version.summary == "s" * 2000  # the summary is cut at 2,000 characters
    [stored] = [v for v in rows(container, "policy_versions") if v.version == "2026-03-31"]
    assert stored == version
    assert (await container.publish_policy_version()(date(2026, 5, 1), body=TEXT)).summary == ""  # none given
    with pytest.raises(InvalidInput):
        await container.publish_policy_version()(date(2026, 6, 1), "No text given.")  # a version needs its text


async def test_notices_go_in_batches_to_every_account_not_being_deleted(
    container: Container, clock: ManualClock
) -> None:
    owners = [await signed_up(container, f"{name}@example.com") for name in ("ada", "bob", "cy")]
    leaving = await signed_up(container, "dee@example.com")
    await container.request_account_deletion()(principal(leaving), PASSWORD)
    effective = clock.now().date() + timedelta(days=30)
    await container.publish_policy_version()(effective, "A clearer retention table.", TEXT)
    notices = container.send_policy_notices()
    notices._batch = 1
    clock.advance(timedelta(hours=1))
    assert await notices() == 3
    mails = sorted((m for m in outbox(container) if m.kind == "policy_change"), key=lambda m: m.to)
    assert [m.to for m in mails] == ["ada@example.com", "bob@example.com", "cy@example.com"]
    day = f"{effective:%Y-%m-%d}"
    assert mails[0].subject == f"Aioomi's privacy policy changes on {day}"
    assert mails[0].text == (
        f"Hello {owners[0].account.full_name},\n\nWe are updating our privacy policy. The new "
        f"version takes effect on {day}.\n\nA clearer retention table.\n\n"
        "Read and accept it at https://aioomi.test/dashboard/account.\n"
    )
    [version] = [v for v in rows(container, "policy_versions") if v.version == effective.isoformat()]
    assert (version.notices_sent, version.notices_sent_at, version.notices_after) == (
        3,
        clock.now(),
        max(o.account.id for o in owners),
    )
    [seeded] = [v for v in rows(container, "policy_versions") if v.version == SEEDED]
    assert seeded.notices_sent == 0  # the seeded version was never announced
    assert await notices() == 0  # all sent
    assert [a.status for a in rows(container, "accounts") if a.email == "dee@example.com"] == [
        AccountStatus.DELETION_PENDING
    ]


class _RelayDownAtMail:
    """Hands mail to ``mailer`` but fails on the ``n``-th one (the relay went down)."""

    def __init__(self, mailer: Mailer, n: int) -> None:
        self._mailer = mailer
        self._n = n
        self.calls = 0

    async def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.calls == self._n:
            raise Unavailable("The relay is down.", code="mail_unavailable")
        await self._mailer.send(message)


async def test_notices_cut_short_by_a_relay_failure_are_finished_by_the_next_run(
    container: Container, clock: ManualClock
) -> None:
    """Kills `SendPolicyNotices.__call__` 45 (the version marked as all sent after its first
    batch: a run that fails in the second batch left the rest unnotified for good): with a batch
    of 1 and three accounts, the relay fails at the second mail; the version is not marked sent
    and remembers the first account; the next run sends the other two."""
    owners = sorted(
        [await signed_up(container, f"{name}@example.com") for name in ("ada", "bob", "cy")], key=lambda o: o.account.id
    )
    effective = clock.now().date() + timedelta(days=30)
    await container.publish_policy_version()(effective, "A clearer retention table.", TEXT)
    failing = _RelayDownAtMail(container.mailer(), 2)
    with pytest.raises(Unavailable):
        await container.send_policy_notices(mailer=failing, batch=1)()
    [version] = [v for v in rows(container, "policy_versions") if v.version == effective.isoformat()]
    assert (version.notices_sent, version.notices_sent_at, version.notices_after) == (1, None, owners[0].account.id)
    clock.advance(timedelta(hours=1))
    assert await container.send_policy_notices(batch=1)() == 2  # the second and third accounts
    mails = [m.to for m in outbox(container) if m.kind == "policy_change"]
    assert sorted(mails) == ["ada@example.com", "bob@example.com", "cy@example.com"]
    [version] = [v for v in rows(container, "policy_versions") if v.version == effective.isoformat()]
    assert (version.notices_sent, version.notices_sent_at) == (3, clock.now())


async def test_the_policy_is_read_in_the_owners_scope_and_once_per_instant(
    container: Container, clock: ManualClock
) -> None:
    from dependency_injector import providers

    from tests.unit.test_privacy_rights_rules import ScopeSpy

    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    spy = ScopeSpy(container.uow())
    container.uow.override(providers.Object(spy))
    try:
        await container.policy_status()(who)
        await container.accept_policy()(who, SEEDED)
        assert spy.scopes == [who.account_id, who.account_id]  # never the system scope
        spy.scopes.clear()
        await container.policy_status()(None)
        assert spy.scopes == [None]
        published = container.published_policy()  # a singleton built now, on the spy
        spy.scopes.clear()
        container.policy_cache().forget()
        await published()
        await published()  # the same instant: the cached list
        assert spy.scopes == [None]
    finally:
        container.uow.reset_override()
