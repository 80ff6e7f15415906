"""Issue 12's account-security rules on the memory container: scopes, re-authentication, the
e-mail change with its cancel link, what password reset/change and sign-out-everywhere revoke,
device cookies against lock-out, and reset/verification requests that reveal nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container
from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    InsufficientScope,
    InvalidCredentials,
    InvalidToken,
    Principal,
    ReauthenticationRequired,
    Scope,
    SessionRequired,
    SignedInAsAnotherOwner,
    WrongPassword,
    check_scopes,
    ensure_recent_authentication,
    ensure_scope,
)
from aioomi.domain.model.errors import InvalidInput, RateLimited, Unauthenticated, Unavailable
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.accounts.update_profile import ProfileChanges
from aioomi.domain.usecases.auth_support import ClientInfo
from aioomi.domain.usecases.authenticate import ApiKeyCredential, SessionCredential
from tests.integration.accounts_support import PASSWORD, last_mail_to, link_token, mails_to
from tests.unit.test_account_usecases import (  # noqa: F401 - fixtures
    CLIENT,
    NEW_PASSWORD,
    account_by_email,
    authenticates,
    clock,
    container,
    outbox,
    principal,
    request,
    rows,
    run_jobs,
    signed_up,
)

ALL = [str(s) for s in Scope]


async def key_works(container: Container, secret: str) -> bool:
    try:
        await container.authenticate()(ApiKeyCredential(secret=secret))
    except Unauthenticated:
        return False
    return True


# -- scopes ---------------------------------------------------------------------------------------


def test_scopes_are_checked_deduplicated_and_kept_in_the_catalogues_order() -> None:
    assert check_scopes(["usage:read", "agents:write", "usage:read"]) == (Scope.AGENTS_WRITE, Scope.USAGE_READ)
    for bad in ([], ["agents:admin"], ["agents:read", "account:write"], ["AGENTS:READ"]):
        with pytest.raises(InvalidInput) as refused:
            check_scopes(bad)
        assert (refused.value.code, refused.value.field) == ("invalid_scopes", "scopes")


def test_a_key_may_do_only_what_its_scopes_name_and_a_session_everything() -> None:
    key = Principal.own(account_id="acct_1", api_key_id="key_1", scopes=frozenset({Scope.AGENTS_READ}))
    ensure_scope(key, Scope.AGENTS_READ)
    for other in set(Scope) - {Scope.AGENTS_READ}:
        with pytest.raises(InsufficientScope) as refused:
            ensure_scope(key, other)
        assert refused.value.code == "insufficient_scope"
    session = Principal.own(account_id="acct_1", session_id="lgn_1")
    for scope in Scope:
        ensure_scope(session, scope)


async def test_a_created_key_carries_its_scopes_and_authenticates_with_them(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")

    created = await container.create_api_key()(principal(owner), "reader", ["knowledge:read", "agents:read"])

    assert created.key.scopes == (Scope.AGENTS_READ, Scope.KNOWLEDGE_READ)
    assert [k.scopes for k in await container.list_api_keys()(principal(owner))] == [created.key.scopes]
    who = await container.authenticate()(ApiKeyCredential(secret=created.secret))
    assert who.scopes == frozenset({Scope.AGENTS_READ, Scope.KNOWLEDGE_READ}) and who.session_id is None
    with pytest.raises(InvalidInput):
        await container.create_api_key()(principal(owner), "nothing", [])
    assert len(rows(container, "api_keys")) == 1


# -- re-authentication ----------------------------------------------------------------------------


def test_account_security_needs_a_session_that_gave_its_password_within_the_window() -> None:
    window = timedelta(minutes=10)
    signed_at = ManualClock().now()
    session = Principal.own(account_id="acct_1", session_id="lgn_1", authenticated_at=signed_at)
    ensure_recent_authentication(session, signed_at + timedelta(minutes=10), window)
    with pytest.raises(ReauthenticationRequired) as stale:
        ensure_recent_authentication(session, signed_at + timedelta(minutes=10, seconds=1), window)
    assert (stale.value.code, type(stale.value).__mro__[1].__name__) == ("reauthentication_required", "Forbidden")
    key = Principal.own(account_id="acct_1", api_key_id="key_1", scopes=frozenset(Scope))
    with pytest.raises(SessionRequired) as refused:
        ensure_recent_authentication(key, signed_at, window)
    assert refused.value.code == "session_required"


async def test_sign_in_counts_as_re_authentication_and_the_password_renews_it(
    container: Container, clock: ManualClock
) -> None:
    owner = await signed_up(container, "ada@example.com")
    window = container.session_policy().reauthentication_window
    assert window == timedelta(minutes=10)  # the default (AIOOMI_REAUTH_WINDOW_MIN)
    authenticate = container.authenticate()
    fresh = await authenticate(SessionCredential(token=owner.token))
    assert fresh.authenticated_at == owner.session.created_at
    await container.require_recent_session()(fresh)

    clock.advance(window + timedelta(seconds=1))
    stale = await authenticate(SessionCredential(token=owner.token))
    with pytest.raises(ReauthenticationRequired):
        await container.require_recent_session()(stale)
    with pytest.raises(WrongPassword) as wrong:
        await container.reauthenticate()(stale, "not the password")
    assert wrong.value.field == "password"
    with pytest.raises(ReauthenticationRequired):
        await container.require_recent_session()(await authenticate(SessionCredential(token=owner.token)))

    at = await container.reauthenticate()(stale, PASSWORD)

    assert at == clock.now()
    await container.require_recent_session()(await authenticate(SessionCredential(token=owner.token)))
    key = await container.create_api_key()(principal(owner), "ci", ALL)
    with pytest.raises(SessionRequired):
        await container.reauthenticate()(await authenticate(ApiKeyCredential(secret=key.secret)), PASSWORD)


async def test_re_authentication_is_limited_per_session(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    for _ in range(abuse.REAUTHENTICATE_PER_SESSION.limit):
        with pytest.raises(WrongPassword):
            await container.reauthenticate()(principal(owner), "guess")
    with pytest.raises(RateLimited):
        await container.reauthenticate()(principal(owner), PASSWORD)


# -- e-mail change ----------------------------------------------------------------------------


async def test_an_email_change_needs_the_current_password(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    before = outbox(container)

    for given in (None, "", "not the password"):
        with pytest.raises(WrongPassword) as refused:
            await container.update_profile()(
                principal(owner), ProfileChanges(email="mallory@evil.example", current_password=given)
            )
        assert refused.value.field == "current_password"

    assert outbox(container) == before
    assert rows(container, "one_time_tokens")[-1].purpose == "verify_email"  # no change link was made
    # The name alone needs no password.
    await container.update_profile()(principal(owner), ProfileChanges(full_name="Ada King"))
    assert account_by_email(container, "ada@example.com").full_name == "Ada King"


async def test_the_old_address_is_told_and_its_link_cancels_the_change_and_signs_everyone_out(
    container: Container,
) -> None:
    owner = await signed_up(container, "ada@example.com")
    other = await container.sign_in()("ada@example.com", PASSWORD, CLIENT)
    key = await container.create_api_key()(principal(owner), "ci", ALL)

    await container.update_profile()(
        principal(owner), ProfileChanges(email="mallory@evil.example", current_password=PASSWORD)
    )

    notice = last_mail_to(outbox(container), "ada@example.com", "email_change_notice")
    assert "mallory@evil.example" in notice.text and "/cancel-email-change?token=" in notice.text
    confirm = link_token(last_mail_to(outbox(container), "mallory@evil.example", "email_change"))

    cancelled = await container.cancel_email_change()(link_token(notice))

    assert (cancelled.restored, cancelled.sessions_revoked, cancelled.api_keys_revoked) == (False, 2, 1)
    assert not await authenticates(container, owner.token) and not await authenticates(container, other.token)
    assert not await key_works(container, key.secret)
    with pytest.raises(InvalidToken):  # the pending change's link is dead
        await container.verify_email()(confirm, CLIENT)
    assert account_by_email(container, "ada@example.com").id == owner.account.id
    with pytest.raises(InvalidToken):  # works once
        await container.cancel_email_change()(link_token(notice))


async def test_the_cancel_link_undoes_a_confirmed_change_even_after_a_further_one(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    await container.update_profile()(
        principal(owner), ProfileChanges(email="mallory@evil.example", current_password=PASSWORD)
    )
    notice = last_mail_to(outbox(container), "ada@example.com", "email_change_notice")
    confirmed = await container.verify_email()(
        link_token(last_mail_to(outbox(container), "mallory@evil.example", "email_change")), CLIENT
    )
    assert confirmed.signed_in is None and confirmed.account.email == "mallory@evil.example"
    # The attacker changes the address again, hoping to void the owner's link.
    mallory = await container.sign_in()("mallory@evil.example", PASSWORD, CLIENT)
    await container.update_profile()(
        principal(mallory), ProfileChanges(email="eve@evil.example", current_password=PASSWORD)
    )

    cancelled = await container.cancel_email_change()(link_token(notice))

    assert cancelled.restored and cancelled.account.email == "ada@example.com"
    assert account_by_email(container, "ada@example.com").id == owner.account.id
    assert not await authenticates(container, mallory.token)
    with pytest.raises(InvalidToken):
        await container.verify_email()(
            link_token(last_mail_to(outbox(container), "eve@evil.example", "email_change")), CLIENT
        )


async def test_a_confirmation_link_is_refused_while_another_owner_is_signed_in(container: Container) -> None:
    await container.sign_up()(request("mallory@evil.example"), CLIENT)
    await run_jobs(container)
    attackers_link = link_token(last_mail_to(outbox(container), "mallory@evil.example", "verify_email"))
    victim = await signed_up(container, "ada@example.com")

    with pytest.raises(SignedInAsAnotherOwner) as refused:
        await container.verify_email()(attackers_link, CLIENT, signed_in_as=victim.account.id)
    assert refused.value.code == "signed_in_as_another_owner"

    preview = await container.preview_email_link()(attackers_link)  # the page names the address
    assert preview is not None and preview.email == "mallory@evil.example"
    assert not account_by_email(container, "mallory@evil.example").email_verified  # nothing used up
    assert (await container.verify_email()(attackers_link, CLIENT)).account.email == "mallory@evil.example"
    assert await container.preview_email_link()(attackers_link) is None


# -- what a reset, a change and sign-out-everywhere revoke --------------------------------------


@pytest.mark.parametrize("revoke_keys", [True, False])
async def test_a_reset_ends_every_session_and_revokes_keys_when_asked(container: Container, revoke_keys: bool) -> None:
    owner = await signed_up(container, "ada@example.com")
    key = await container.create_api_key()(principal(owner), "ci", ALL)
    await container.request_password_reset()("ada@example.com", CLIENT)
    await run_jobs(container)
    token = link_token(last_mail_to(outbox(container), "ada@example.com", "reset_password"))

    await container.reset_password()(token, NEW_PASSWORD, CLIENT, revoke_api_keys=revoke_keys)

    assert not await authenticates(container, owner.token)
    assert await key_works(container, key.secret) is not revoke_keys


@pytest.mark.parametrize("revoke_keys", [True, False])
async def test_a_password_change_keeps_this_session_and_revokes_keys_when_asked(
    container: Container, revoke_keys: bool
) -> None:
    owner = await signed_up(container, "ada@example.com")
    key = await container.create_api_key()(principal(owner), "ci", ALL)

    await container.change_password()(principal(owner), PASSWORD, NEW_PASSWORD, revoke_api_keys=revoke_keys)

    assert await authenticates(container, owner.token)
    assert await key_works(container, key.secret) is not revoke_keys


async def test_sign_out_everywhere_includes_api_keys(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    keys = [await container.create_api_key()(principal(owner), name, ALL) for name in ("a", "b")]

    ended = await container.sign_out_everywhere()(principal(owner))

    assert (ended.sessions, ended.api_keys) == (1, 2)
    assert [await key_works(container, k.secret) for k in keys] == [False, False]


# -- lock-out: device cookies ------------------------------------------------------------------


def ip(n: int) -> ClientInfo:
    return ClientInfo(ip=f"198.51.{n // 250}.{n % 250 + 1}", user_agent="attacker")


async def test_wrong_passwords_from_many_ips_do_not_lock_out_the_owners_trusted_browser(container: Container) -> None:
    await signed_up(container, "ada@example.com")
    owners_browser = await container.sign_in()("ada@example.com", PASSWORD, CLIENT)
    assert owners_browser.device_token is not None
    [device] = rows(container, "trusted_devices")
    assert device.token_hash != owners_browser.device_token  # only its hash is stored

    # Enough wrong passwords, each from its own IP, to use up the per-account allowance for
    # untrusted browsers (the owner's first sign-in, from a browser not yet trusted, was one).
    for n in range(abuse.SIGN_IN_PER_ACCOUNT.limit - 1):
        with pytest.raises(InvalidCredentials):
            await container.sign_in()("ada@example.com", "a wrong guess", ip(n))

    # A browser the account does not trust is locked out, even with the right password ...
    with pytest.raises(RateLimited):
        await container.sign_in()("ada@example.com", PASSWORD, ClientInfo(ip="192.0.2.200"))
    # ... the owner's browser is not, from wherever it comes, and keeps its device cookie.
    again = await container.sign_in()(
        "ada@example.com", PASSWORD, ClientInfo(ip="192.0.2.201"), device_token=owners_browser.device_token
    )
    assert again.device_token is None
    # A device cookie trusted by another account counts for nothing here.
    await signed_up(container, "bob@example.com")
    bobs = await container.sign_in()("bob@example.com", PASSWORD, CLIENT)
    with pytest.raises(RateLimited):
        await container.sign_in()(
            "ada@example.com", PASSWORD, ClientInfo(ip="192.0.2.202"), device_token=bobs.device_token
        )


async def test_wrong_passwords_are_limited_per_account_and_ip(container: Container) -> None:
    await signed_up(container, "ada@example.com")
    for _ in range(abuse.SIGN_IN_PER_ACCOUNT_AND_IP.limit):
        with pytest.raises(InvalidCredentials):
            await container.sign_in()("ada@example.com", "a wrong guess", ip(1))

    with pytest.raises(RateLimited):
        await container.sign_in()("ada@example.com", PASSWORD, ip(1))
    await container.sign_in()("ada@example.com", PASSWORD, ip(2))  # another IP is not held up


async def test_a_trusted_browser_has_its_own_lock_and_a_reset_forgets_it(
    container: Container, clock: ManualClock
) -> None:
    await signed_up(container, "ada@example.com")
    device = (await container.sign_in()("ada@example.com", PASSWORD, CLIENT)).device_token
    for _ in range(abuse.SIGN_IN_PER_DEVICE.limit):
        with pytest.raises(InvalidCredentials):
            await container.sign_in()("ada@example.com", "a wrong guess", CLIENT, device_token=device)
    with pytest.raises(RateLimited):
        await container.sign_in()("ada@example.com", PASSWORD, CLIENT, device_token=device)
    clock.advance(abuse.SIGN_IN_PER_DEVICE.window)
    await container.sign_in()("ada@example.com", PASSWORD, CLIENT, device_token=device)

    await container.request_password_reset()("ada@example.com", CLIENT)
    await run_jobs(container)
    await container.reset_password()(
        link_token(last_mail_to(outbox(container), "ada@example.com", "reset_password")), NEW_PASSWORD, CLIENT
    )
    assert rows(container, "trusted_devices") == []


# -- enumeration: the request does the same whatever the address --------------------------------


class FailingMailer:
    def __init__(self) -> None:
        self.attempts: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.attempts.append(message)
        raise Unavailable("The relay is down.", code="mail_unavailable")


@pytest.mark.parametrize("ask", ["request_password_reset", "resend_verification"])
async def test_known_and_unknown_addresses_leave_the_same_trace_and_a_failing_relay_shows_nowhere(
    container: Container, ask: str
) -> None:
    await container.sign_up()(request("ada@example.com"), CLIENT)  # unverified: both requests concern it
    await run_jobs(container)  # its own verification mail, before the relay fails
    mailer = FailingMailer()
    container.mailer.override(providers.Object(mailer))
    call = getattr(container, ask)()
    args = (CLIENT,) if ask == "request_password_reset" else ()

    for email in ("ada@example.com", "nobody@example.com"):
        assert await call(email, *args) is None  # no relay was asked: nothing can fail here
    assert mailer.attempts == []

    queued = [
        j
        for j in container.job_store().jobs
        if j.kind.startswith("accounts.") and j.kind != "accounts.send_sign_up_mail"
    ]
    assert [(j.kind, sorted(j.payload)) for j in queued] == [(queued[0].kind, ["email"])] * 2
    assert [j.payload["email"] for j in queued] == ["ada@example.com", "nobody@example.com"]

    await run_jobs(container)  # the relay fails in the worker: the job will retry
    assert [m.to for m in mailer.attempts] == ["ada@example.com"]
    assert mails_to(outbox(container), "nobody@example.com") == []


def test_knowledge_routes_need_a_knowledge_scope_not_an_agents_one() -> None:
    from aioomi.entrypoints.http.auth import required_scope

    table = [
        ("/api/v1/agents/{agent_id:str}/sources", "GET", "knowledge:read"),
        ("/api/v1/agents/{agent_id:str}/sources/{source_id:str}/sync", "POST", "knowledge:write"),
        ("/api/v1/agents/{agent_id:str}/qa-pairs", "GET", "knowledge:read"),
        ("/api/v1/agents/{agent_id:str}/qa-pairs/import", "POST", "knowledge:write"),
        ("/api/v1/agents/{agent_id:str}", "PATCH", "agents:write"),
    ]
    assert [(path, method, str(required_scope(path, method))) for path, method, _ in table] == [
        (path, method, scope) for path, method, scope in table
    ]


def test_the_request_log_is_closed_to_every_api_key() -> None:
    from aioomi.entrypoints.http.auth import required_scope

    assert required_scope("/api/v1/request-log", "GET") is None
