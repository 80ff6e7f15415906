"""The sign-up and sign-in use cases on the memory container, judged by the state they leave
(the outbox, the stores, what authenticates), never by calls on mocks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dependency_injector import providers

from aioomi.adapters.local.outbox_mailer import read_outbox
from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    Account,
    ApiKey,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    OwnerSession,
    Principal,
)
from aioomi.domain.model.errors import InvalidInput, NotFound, RateLimited, Unauthenticated
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.policy import CURRENT_POLICY_VERSION
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.accounts.update_profile import ProfileChanges
from aioomi.domain.usecases.auth_support import ClientInfo, SignedIn
from aioomi.domain.usecases.authenticate import ApiKeyCredential, SessionCredential
from aioomi.domain.usecases.sign_up import SignUpRequest
from aioomi.settings import Settings
from tests.integration.accounts_support import PASSWORD, fast_hasher, last_mail_to, link_token, mails_to

CLIENT = ClientInfo(ip="203.0.113.9", user_agent="Mozilla/5.0 (test)")
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))  # today: a privacy policy is in force


@pytest.fixture
async def container(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Container]:
    container = container_in_memory(
        settings=Settings(data_dir=str(tmp_path / "aioomi"), public_url="https://aioomi.test")
    )
    container.password_hasher.override(providers.Object(fast_hasher()))
    container.clock.override(providers.Object(clock))
    await start(container)
    yield container
    await stop(container)


def outbox(container: Container) -> list[EmailMessage]:
    return read_outbox(container.settings().outbox_dir)


def rows(container: Container, table: str) -> list:
    return list(container.memory_database().table(table).values())


def account_by_email(container: Container, email: str) -> Account:
    [account] = [a for a in rows(container, "accounts") if a.email == email]
    return account


def request(email: str = "ada@example.com", **changes: object) -> SignUpRequest:
    fields: dict[str, object] = {
        "email": email,
        "full_name": "Ada Lovelace",
        "password": PASSWORD,
        "adult": True,
        "accepted_policy_version": CURRENT_POLICY_VERSION,
    }
    return SignUpRequest(**(fields | changes))


async def signed_up(container: Container, email: str, **changes: object) -> SignedIn:
    """Sign up and follow the verification link: a verified, signed-in owner."""
    await container.sign_up()(request(email, **changes), CLIENT)
    await run_sign_up_mail_jobs(container)  # the verification link is mailed by a job
    token = link_token(last_mail_to(outbox(container), email, "verify_email"))
    confirmed = await container.verify_email()(token, CLIENT)
    assert confirmed.signed_in is not None
    return confirmed.signed_in


async def run_sign_up_mail_jobs(container: Container) -> None:
    """Run the queued sign-up mail jobs only, through the worker's own handler (no periodic
    sweeps, which would leave runs of their own in the tables tests read)."""
    from datetime import timedelta

    from aioomi.domain.model.accounts import SEND_SIGN_UP_MAIL_JOB
    from aioomi.entrypoints.worker.account_jobs import handlers

    handle = handlers(container)[SEND_SIGN_UP_MAIL_JOB]
    jobs = container.job_store()
    while (job := await jobs.claim("test", frozenset({SEND_SIGN_UP_MAIL_JOB}), timedelta(minutes=1))) is not None:
        await handle(job.payload)
        await jobs.complete(job.id, "test")


async def run_jobs(container: Container) -> None:
    """Run every queued job (mail is sent by jobs) as the worker would."""
    from aioomi.entrypoints.worker.jobs import build_worker

    await build_worker(container).run_until_idle()


async def authenticates(container: Container, token: str) -> bool:
    try:
        await container.authenticate()(SessionCredential(token=token))
    except Unauthenticated:
        return False
    return True


def principal(signed_in: SignedIn) -> Principal:
    return Principal.own(
        account_id=signed_in.account.id,
        session_id=signed_in.session.id,
        csrf_token=signed_in.session.csrf_token,
        authenticated_at=signed_in.session.authenticated_at,
    )


READ_AGENTS = ["agents:read"]


# -- sign-up and verification -------------------------------------------------------------------


async def test_sign_up_mails_a_link_that_verifies_the_email_and_opens_a_session(container: Container) -> None:
    await container.sign_up()(request("  Ada@Example.com "), CLIENT)

    [account] = rows(container, "accounts")
    assert account.email == "ada@example.com" and not account.email_verified
    assert account.password_hash is not None and PASSWORD not in account.password_hash
    assert account.accepted_policy_version == CURRENT_POLICY_VERSION
    assert account.adult_attested_at == container.clock().now()
    assert outbox(container) == []  # nothing is mailed inside the request: a job does it
    [job] = [j for j in container.job_store().jobs if j.kind == "accounts.send_sign_up_mail"]
    assert job.payload == {"account_id": account.id, "already_registered": False}
    await run_jobs(container)
    [mail] = outbox(container)
    assert (mail.to, mail.kind) == ("ada@example.com", "verify_email")
    assert "https://aioomi.test/verify-email?token=" in mail.text

    signed_in = (await container.verify_email()(link_token(mail), CLIENT)).signed_in
    assert signed_in is not None

    assert signed_in.account.id == account.id and signed_in.account.email_verified
    assert account_by_email(container, "ada@example.com").email_verified_at == container.clock().now()
    who = await container.authenticate()(SessionCredential(token=signed_in.token))
    assert who.account_id == account.id and who.session_id == signed_in.session.id
    [session] = rows(container, "owner_sessions")
    assert session.token_hash == hash_token(signed_in.token) != signed_in.token
    assert (session.ip, session.user_agent) == (CLIENT.ip, CLIENT.user_agent)
    with pytest.raises(InvalidToken):  # the link works once
        await container.verify_email()(link_token(mail), CLIENT)


async def test_sign_up_with_a_taken_email_looks_the_same_and_warns_the_owner(container: Container) -> None:
    first = await signed_up(container, "ada@example.com")
    before = outbox(container)
    jobs_before = len(container.job_store().jobs)

    taken = await container.sign_up()(request("ADA@example.com", full_name="Someone Else"), CLIENT)
    fresh = await container.sign_up()(request("bob@example.com", full_name="Bob"), CLIENT)

    assert taken is None and fresh is None  # the same outcome as a fresh sign-up
    assert outbox(container) == before  # and the same work in the request: no mail, one job each
    queued = container.job_store().jobs[jobs_before:]
    assert [(j.kind, sorted(j.payload)) for j in queued] == [
        ("accounts.send_sign_up_mail", ["account_id", "already_registered"])
    ] * 2
    assert sorted(a.email for a in rows(container, "accounts")) == ["ada@example.com", "bob@example.com"]
    assert first.account.id in [a.id for a in rows(container, "accounts")]
    await run_jobs(container)
    assert sorted((m.to, m.kind) for m in outbox(container)[len(before) :]) == [
        ("ada@example.com", "signup_attempt"),
        ("bob@example.com", "verify_email"),
    ]
    [notice] = [m for m in outbox(container)[len(before) :] if m.to == "ada@example.com"]
    assert (notice.to, notice.kind) == ("ada@example.com", "signup_attempt")
    assert "token=" not in notice.text
    assert account_by_email(container, "ada@example.com").full_name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"adult": False}, "consent_required", "adult"),
        ({"accepted_policy_version": "2020-01-01"}, "consent_required", "accepted_policy_version"),
        ({"password": "short"}, "password_too_short", "password"),
        ({"password": "Password123"}, "password_too_common", "password"),
        ({"password": "ada.lovelace"}, "password_too_common", "password"),  # the email's local part
        ({"email": "ada@"}, "invalid_email", "email"),
        ({"full_name": "  \t "}, "invalid_name", "full_name"),
    ],
)
async def test_sign_up_refuses_what_the_rules_forbid_and_stores_nothing(
    container: Container, changes: dict, code: str, field: str
) -> None:
    email = "ada.lovelace@example.com"
    with pytest.raises(InvalidInput) as refused:
        await container.sign_up()(request(**({"email": email} | changes)), CLIENT)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert rows(container, "accounts") == [] and outbox(container) == []


async def test_resend_replaces_the_link_and_says_nothing_for_unknown_or_verified_emails(container: Container) -> None:
    await container.sign_up()(request("ada@example.com"), CLIENT)
    await run_jobs(container)
    first_link = link_token(outbox(container)[0])

    await container.resend_verification()("ada@example.com")
    await container.resend_verification()("nobody@example.com")
    await run_jobs(container)

    mails = outbox(container)
    assert [(m.to, m.kind) for m in mails] == [("ada@example.com", "verify_email")] * 2
    with pytest.raises(InvalidToken):
        await container.verify_email()(first_link, CLIENT)  # the new link replaced it
    await container.verify_email()(link_token(mails[-1]), CLIENT)
    await container.resend_verification()("ada@example.com")  # verified now: nothing to send
    await run_jobs(container)
    assert len(outbox(container)) == 2


# -- sign-in ------------------------------------------------------------------------------------


async def test_sign_in_before_verification_is_refused(container: Container) -> None:
    await container.sign_up()(request("ada@example.com"), CLIENT)

    with pytest.raises(EmailNotVerified) as refused:
        await container.sign_in()("ada@example.com", PASSWORD, CLIENT)

    assert refused.value.code == "email_not_verified"
    assert rows(container, "owner_sessions") == []


async def test_a_wrong_password_and_an_unknown_email_fail_alike(container: Container) -> None:
    await signed_up(container, "ada@example.com")

    failures = []
    for email, password in [
        ("ada@example.com", "not the password"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ]:
        with pytest.raises(InvalidCredentials) as refused:
            await container.sign_in()(email, password, CLIENT)
        failures.append((type(refused.value), refused.value.code, refused.value.detail))

    assert len(set(failures)) == 1 and failures[0][1] == "invalid_credentials"
    assert len(rows(container, "owner_sessions")) == 1  # only the one opened at verification


async def test_each_sign_in_opens_a_new_session_with_new_secrets(container: Container) -> None:
    await signed_up(container, "ada@example.com")

    first = await container.sign_in()("ADA@example.com", PASSWORD, CLIENT)
    second = await container.sign_in()("ada@example.com", PASSWORD, CLIENT)

    assert first.session.id != second.session.id and first.token != second.token
    assert first.session.csrf_token != second.session.csrf_token
    assert await authenticates(container, first.token) and await authenticates(container, second.token)


async def test_sign_in_is_rate_limited_per_account_and_ip_then_allowed_again(
    container: Container, clock: ManualClock
) -> None:
    await signed_up(container, "ada@example.com")
    for _ in range(abuse.SIGN_IN_PER_ACCOUNT_AND_IP.limit):
        with pytest.raises(InvalidCredentials):
            await container.sign_in()("ada@example.com", "wrong password", CLIENT)

    with pytest.raises(RateLimited) as limited:  # even with the right password
        await container.sign_in()("ada@example.com", PASSWORD, CLIENT)

    assert 0 < limited.value.retry_after_s <= abuse.SIGN_IN_PER_ACCOUNT_AND_IP.window.total_seconds()
    # Another account from another address is not held up.
    await signed_up(container, "bob@example.com")
    await container.sign_in()("bob@example.com", PASSWORD, ClientInfo(ip="198.51.100.1"))
    clock.advance(timedelta(seconds=limited.value.retry_after_s))
    await container.sign_in()("ada@example.com", PASSWORD, CLIENT)


async def test_sign_in_is_rate_limited_per_ip(container: Container) -> None:
    limit = abuse.SIGN_IN_PER_IP.limit
    for n in range(limit):
        with pytest.raises(InvalidCredentials):
            await container.sign_in()(f"user{n}@example.com", "wrong password", CLIENT)

    with pytest.raises(RateLimited) as limited:
        await container.sign_in()("someone@example.com", "wrong password", CLIENT)
    assert limited.value.retry_after_s > 0


async def test_sign_up_is_rate_limited_per_ip(container: Container) -> None:
    for n in range(abuse.SIGN_UP_PER_IP.limit):
        await container.sign_up()(request(f"user{n}@example.com"), CLIENT)

    with pytest.raises(RateLimited) as limited:
        await container.sign_up()(request("one.more@example.com"), CLIENT)

    assert limited.value.retry_after_s > 0
    assert len(rows(container, "accounts")) == abuse.SIGN_UP_PER_IP.limit
    assert not mails_to(outbox(container), "one.more@example.com")


async def test_a_stale_hash_is_replaced_at_sign_in(container: Container) -> None:
    await signed_up(container, "ada@example.com")
    old_hash = account_by_email(container, "ada@example.com").password_hash
    stronger = fast_hasher(time_cost=2, memory_cost_kib=16)
    assert stronger.needs_rehash(old_hash)
    container.password_hasher.override(providers.Object(stronger))

    await container.sign_in()("ada@example.com", PASSWORD, CLIENT)

    new_hash = account_by_email(container, "ada@example.com").password_hash
    assert new_hash != old_hash and not stronger.needs_rehash(new_hash)
    assert await stronger.verify(new_hash, PASSWORD)
    await container.sign_in()("ada@example.com", PASSWORD, CLIENT)
    assert account_by_email(container, "ada@example.com").password_hash == new_hash  # current: left alone


# -- password reset -----------------------------------------------------------------------------


async def test_password_reset_works_once_and_signs_out_every_session(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    other = await container.sign_in()("ada@example.com", PASSWORD, CLIENT)

    await container.request_password_reset()("ada@example.com", CLIENT)
    await run_jobs(container)
    token = link_token(last_mail_to(outbox(container), "ada@example.com", "reset_password"))
    await container.reset_password()(token, NEW_PASSWORD, CLIENT)

    assert not await authenticates(container, owner.token) and not await authenticates(container, other.token)
    with pytest.raises(InvalidCredentials):
        await container.sign_in()("ada@example.com", PASSWORD, CLIENT)
    await container.sign_in()("ada@example.com", NEW_PASSWORD, CLIENT)
    with pytest.raises(InvalidToken):
        await container.reset_password()(token, "yet another passphrase", CLIENT)
    await container.sign_in()("ada@example.com", NEW_PASSWORD, CLIENT)


async def test_a_reset_link_expires_after_an_hour_and_a_newer_one_replaces_it(
    container: Container, clock: ManualClock
) -> None:
    await signed_up(container, "ada@example.com")
    await container.request_password_reset()("ada@example.com", CLIENT)
    await run_jobs(container)
    first = link_token(last_mail_to(outbox(container), "ada@example.com", "reset_password"))
    await container.request_password_reset()("ada@example.com", CLIENT)
    await run_jobs(container)
    second = link_token(last_mail_to(outbox(container), "ada@example.com", "reset_password"))

    with pytest.raises(InvalidToken):
        await container.reset_password()(first, NEW_PASSWORD, CLIENT)
    clock.advance(timedelta(hours=1))
    with pytest.raises(InvalidToken):
        await container.reset_password()(second, NEW_PASSWORD, CLIENT)

    await container.sign_in()("ada@example.com", PASSWORD, CLIENT)  # the password never changed


async def test_a_reset_for_an_unknown_email_sends_nothing(container: Container) -> None:
    await container.request_password_reset()("nobody@example.com", CLIENT)
    await run_jobs(container)

    assert outbox(container) == []


async def test_a_reset_checks_the_new_password_and_keeps_the_link_usable_on_refusal(container: Container) -> None:
    await signed_up(container, "ada@example.com")
    await container.request_password_reset()("ada@example.com", CLIENT)
    await run_jobs(container)
    token = link_token(last_mail_to(outbox(container), "ada@example.com", "reset_password"))

    with pytest.raises(InvalidInput) as refused:
        await container.reset_password()(token, "password1", CLIENT)
    assert (refused.value.code, refused.value.field) == ("password_too_common", "new_password")

    await container.reset_password()(token, NEW_PASSWORD, CLIENT)  # the refusal rolled back
    await container.sign_in()("ada@example.com", NEW_PASSWORD, CLIENT)


# -- change password ----------------------------------------------------------------------------


async def test_change_password_needs_the_current_one_and_signs_out_the_other_sessions(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    other = await container.sign_in()("ada@example.com", PASSWORD, CLIENT)
    key = await container.create_api_key()(principal(owner), "ci", READ_AGENTS)

    for current in (None, "", "not the password"):
        with pytest.raises(InvalidCredentials):
            await container.change_password()(principal(owner), current, NEW_PASSWORD)
    assert await authenticates(container, other.token)

    await container.change_password()(principal(owner), PASSWORD, NEW_PASSWORD)

    assert await authenticates(container, owner.token)
    assert not await authenticates(container, other.token)
    assert (await container.authenticate()(ApiKeyCredential(secret=key.secret))).account_id == owner.account.id
    with pytest.raises(InvalidCredentials):
        await container.sign_in()("ada@example.com", PASSWORD, CLIENT)
    await container.sign_in()("ada@example.com", NEW_PASSWORD, CLIENT)


# -- email change -------------------------------------------------------------------------------


async def test_an_email_change_waits_for_the_link_to_the_new_address(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")

    updated = await container.update_profile()(
        principal(owner),
        ProfileChanges(full_name="  Augusta   Ada King ", email="Ada@New.example.com", current_password=PASSWORD),
    )

    assert updated.pending_email == "ada@new.example.com"
    assert updated.account.email == "ada@example.com" and updated.account.full_name == "Augusta Ada King"
    stored = account_by_email(container, "ada@example.com")
    assert stored.full_name == "Augusta Ada King"
    mail = last_mail_to(outbox(container), "ada@new.example.com", "email_change")
    with pytest.raises(InvalidCredentials):
        await container.sign_in()("ada@new.example.com", PASSWORD, CLIENT)

    confirmed = await container.verify_email()(link_token(mail), CLIENT)

    assert confirmed.account.id == owner.account.id
    assert confirmed.signed_in is None  # the new address's link confirms; it opens no session
    switched = account_by_email(container, "ada@new.example.com")
    assert switched.id == owner.account.id and switched.email_verified_at == container.clock().now()
    await container.sign_in()("ada@new.example.com", PASSWORD, CLIENT)
    with pytest.raises(InvalidCredentials):
        await container.sign_in()("ada@example.com", PASSWORD, CLIENT)


async def test_an_email_used_by_another_account_is_refused(container: Container) -> None:
    ada = await signed_up(container, "ada@example.com")
    await signed_up(container, "bob@example.com")
    before = outbox(container)

    with pytest.raises(EmailTaken):
        await container.update_profile()(
            principal(ada), ProfileChanges(full_name="Ada K", email="BOB@example.com", current_password=PASSWORD)
        )

    assert outbox(container) == before
    assert account_by_email(container, "ada@example.com").full_name == "Ada Lovelace"  # nothing of it kept


async def test_an_email_change_link_is_refused_if_the_address_was_taken_meanwhile(container: Container) -> None:
    ada = await signed_up(container, "ada@example.com")
    await container.update_profile()(
        principal(ada), ProfileChanges(email="shared@example.com", current_password=PASSWORD)
    )
    link = link_token(last_mail_to(outbox(container), "shared@example.com", "email_change"))
    await signed_up(container, "shared@example.com")

    with pytest.raises(EmailTaken):
        await container.verify_email()(link, CLIENT)

    assert account_by_email(container, "ada@example.com").id == ada.account.id
    assert account_by_email(container, "shared@example.com").id != ada.account.id


# -- sessions -----------------------------------------------------------------------------------


async def test_a_session_ends_after_the_idle_timeout(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    idle = container.session_policy().idle_timeout

    clock.advance(idle - timedelta(minutes=1))
    assert await authenticates(container, owner.token)  # and this use extends the idle window
    clock.advance(idle - timedelta(minutes=1))
    assert await authenticates(container, owner.token)
    clock.advance(idle)
    assert not await authenticates(container, owner.token)
    assert await container.list_sessions()(principal(owner)) == []


async def test_a_session_ends_at_its_absolute_lifetime_however_busy(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    policy = container.session_policy()
    started = clock.now()

    while clock.now() + timedelta(days=1) < started + policy.absolute_lifetime:
        clock.advance(timedelta(days=1))
        assert await authenticates(container, owner.token)
    clock.advance(started + policy.absolute_lifetime - clock.now())
    assert not await authenticates(container, owner.token)


async def test_sessions_list_the_live_ones_and_one_can_be_revoked_only_by_its_owner(container: Container) -> None:
    ada = await signed_up(container, "ada@example.com")
    phone = await container.sign_in()("ada@example.com", PASSWORD, ClientInfo(ip="198.51.100.4", user_agent="Phone"))
    bob = await signed_up(container, "bob@example.com")

    listed = await container.list_sessions()(principal(ada))
    assert {s.id for s in listed} == {ada.session.id, phone.session.id}
    assert {(s.ip, s.user_agent) for s in listed} == {(CLIENT.ip, CLIENT.user_agent), ("198.51.100.4", "Phone")}

    with pytest.raises(NotFound):
        await container.revoke_session()(principal(bob), phone.session.id)
    assert await authenticates(container, phone.token)
    await container.revoke_session()(principal(ada), phone.session.id)
    assert not await authenticates(container, phone.token)
    assert [s.id for s in await container.list_sessions()(principal(ada))] == [ada.session.id]


async def test_sign_out_and_sign_out_everywhere(container: Container) -> None:
    first = await signed_up(container, "ada@example.com")
    second = await container.sign_in()("ada@example.com", PASSWORD, CLIENT)
    third = await container.sign_in()("ada@example.com", PASSWORD, CLIENT)

    await container.sign_out()(principal(first))
    assert not await authenticates(container, first.token)
    assert await authenticates(container, second.token)

    ended = await container.sign_out_everywhere()(principal(second))
    assert (ended.sessions, ended.api_keys) == (2, 0)
    assert not await authenticates(container, second.token) and not await authenticates(container, third.token)


# -- API keys -----------------------------------------------------------------------------------


async def test_an_api_key_is_shown_once_stored_hashed_and_stops_when_revoked(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")

    created = await container.create_api_key()(principal(owner), "  deploy bot ", READ_AGENTS)

    [stored] = rows(container, "api_keys")
    assert isinstance(stored, ApiKey) and stored.name == "deploy bot"
    assert stored.key_hash == hash_token(created.secret) and created.secret not in repr(stored)
    assert created.secret.startswith(stored.prefix)
    listed = await container.list_api_keys()(principal(owner))
    assert listed == [stored] and created.secret not in repr(listed)
    who = await container.authenticate()(ApiKeyCredential(secret=created.secret))
    assert (who.account_id, who.api_key_id, who.session_id) == (owner.account.id, stored.id, None)
    assert rows(container, "api_keys")[0].last_used_at == container.clock().now()

    await container.revoke_api_key()(principal(owner), stored.id)

    with pytest.raises(Unauthenticated):
        await container.authenticate()(ApiKeyCredential(secret=created.secret))
    assert await container.list_api_keys()(principal(owner)) == []
    with pytest.raises(NotFound):
        await container.revoke_api_key()(principal(owner), stored.id)


async def test_another_accounts_key_cannot_be_revoked(container: Container) -> None:
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    key = await container.create_api_key()(principal(ada), "ci", READ_AGENTS)

    with pytest.raises(NotFound) as refused:
        await container.revoke_api_key()(principal(bob), key.key.id)

    assert refused.value.code == "api_key_not_found"
    assert (await container.authenticate()(ApiKeyCredential(secret=key.secret))).account_id == ada.account.id
    assert await container.list_api_keys()(principal(bob)) == []


@pytest.mark.parametrize("secret", ["", "aio_", "aio_not-a-key", "sk-something-else"])
async def test_an_unknown_api_key_does_not_authenticate(container: Container, secret: str) -> None:
    await signed_up(container, "ada@example.com")

    with pytest.raises(Unauthenticated) as refused:
        await container.authenticate()(ApiKeyCredential(secret=secret))
    assert refused.value.code == "invalid_api_key"


async def test_an_unknown_session_token_does_not_authenticate(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    [session] = rows(container, "owner_sessions")
    assert isinstance(session, OwnerSession)

    assert not await authenticates(container, session.token_hash)  # the stored hash is no cookie
    assert not await authenticates(container, owner.token + "x")
    assert await authenticates(container, owner.token)
