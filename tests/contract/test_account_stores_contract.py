"""The account stores' contract, on memory and on Postgres alike, through the unit of work:
accounts, owner sessions, API keys, one-time tokens and pending sign-ins; the tenant scope;
commit and rollback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from aioomi.container import Container
from aioomi.domain.model.accounts import (
    Account,
    AccountStatus,
    ApiKey,
    EmailTaken,
    OneTimeToken,
    OwnerSession,
    Scope,
    TokenPurpose,
    TrustedDevice,
)
from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.workspaces import Membership, Role
from aioomi.ports.accounts import KeyWithCreator, PendingSignIn, SessionWithPerson

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def an_account(email: str, *, google_subject: str | None = None, password_hash: str | None = "argon2-hash") -> Account:
    return Account(
        id=new_id("acct"),
        email=email,
        full_name="Ada Lovelace",
        password_hash=password_hash,
        google_subject=google_subject,
        email_verified_at=None,
        adult_attested_at=T0,
        accepted_policy_version="2026-02-15",
        status=AccountStatus.ACTIVE,
        created_at=T0,
        updated_at=T0,
    )


def a_session(account: Account, *, created_at: datetime = T0, token_hash: str | None = None) -> OwnerSession:
    return OwnerSession(
        id=new_id("lgn"),
        account_id=account.id,
        token_hash=token_hash or new_id("th"),
        csrf_token="csrf",
        created_at=created_at,
        last_seen_at=created_at,
        expires_at=created_at + timedelta(days=30),
        ip="203.0.113.7",
        user_agent="Firefox",
    )


def a_key(account: Account, *, created_at: datetime = T0, name: str = "ci") -> ApiKey:
    return ApiKey(
        id=new_id("key"),
        account_id=account.id,
        name=name,
        prefix="aio_abcdefgh",
        key_hash=new_id("kh"),
        created_at=created_at,
    )


def a_token(
    account: Account,
    purpose: TokenPurpose = TokenPurpose.VERIFY_EMAIL,
    *,
    expires_at: datetime = T0 + timedelta(hours=1),
    new_email: str | None = None,
) -> OneTimeToken:
    return OneTimeToken(
        id=new_id("tok"),
        account_id=account.id,
        purpose=purpose,
        token_hash=new_id("tokh"),
        created_at=T0,
        expires_at=expires_at,
        new_email=new_email,
    )


def a_pending(*, expires_at: datetime = T0 + timedelta(minutes=10)) -> PendingSignIn:
    return PendingSignIn(
        state_hash=new_id("st"),
        nonce="nonce",
        code_verifier="verifier",
        created_at=T0,
        expires_at=expires_at,
        adult_attested=True,
        accepted_policy_version="2026-02-15",
    )


async def stored(container: Container, *accounts: Account) -> None:
    async with container.uow()(account_id=None) as uow:
        for account in accounts:
            await uow.accounts.add(account)
        await uow.commit()


async def get_account(container: Container, account_id: str) -> Account | None:
    async with container.uow()(account_id=None) as uow:
        return await uow.accounts.get(account_id)


# -- accounts -----------------------------------------------------------------------------------


async def test_an_added_account_reads_back_in_its_own_scope_and_the_system_scope(container: Container) -> None:
    ada = an_account("ada@example.com", google_subject="g-ada")
    async with container.uow()(account_id=ada.id) as uow:  # sign-up may run in the new tenant's scope too
        await uow.accounts.add(ada)
        await uow.commit()

    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.accounts.get(ada.id) == ada
    async with container.uow()(account_id=None) as uow:
        assert await uow.accounts.get(ada.id) == ada
        assert await uow.accounts.get(new_id("acct")) is None


async def test_find_by_email_ignores_case_and_find_by_google_subject_matches_exactly(container: Container) -> None:
    ada = an_account("Ada.Lovelace@Example.COM", google_subject="g-123")
    bob = an_account("bob@example.com")
    await stored(container, ada, bob)

    async with container.uow()(account_id=None) as uow:
        assert await uow.accounts.find_by_email("ada.lovelace@example.com") == ada
        assert await uow.accounts.find_by_email("ADA.LOVELACE@EXAMPLE.COM") == ada
        assert await uow.accounts.find_by_email("BOB@example.com") == bob
        assert await uow.accounts.find_by_email("carol@example.com") is None
        assert await uow.accounts.find_by_google_subject("g-123") == ada
        assert await uow.accounts.find_by_google_subject("G-123") is None
        assert await uow.accounts.find_by_google_subject("g-999") is None


async def test_update_replaces_the_stored_account(container: Container) -> None:
    ada = an_account("ada@example.com")
    await stored(container, ada)
    changed = msgspec.structs.replace(
        ada,
        email="ada@new.example.com",
        full_name="Augusta Ada King",
        password_hash="another-hash",
        google_subject="g-ada",
        email_verified_at=T0 + MINUTE,
        status=AccountStatus.RESTRICTED,
        updated_at=T0 + MINUTE,
    )

    async with container.uow()(account_id=ada.id) as uow:
        await uow.accounts.update(changed)
        await uow.commit()

    assert await get_account(container, ada.id) == changed
    async with container.uow()(account_id=None) as uow:
        assert await uow.accounts.find_by_email("ada@example.com") is None
        assert await uow.accounts.find_by_email("ada@new.example.com") == changed
        assert await uow.accounts.find_by_google_subject("g-ada") == changed


async def test_a_duplicate_email_is_refused_whatever_its_case(container: Container) -> None:
    ada = an_account("ada@example.com")
    await stored(container, ada)

    with pytest.raises(EmailTaken):
        async with container.uow()(account_id=None) as uow:
            await uow.accounts.add(an_account("ADA@example.com"))
            await uow.commit()

    bob = an_account("bob@example.com")
    await stored(container, bob)
    with pytest.raises(EmailTaken):
        async with container.uow()(account_id=bob.id) as uow:
            await uow.accounts.update(msgspec.structs.replace(bob, email="Ada@Example.com"))
            await uow.commit()

    assert await get_account(container, bob.id) == bob
    async with container.uow()(account_id=None) as uow:
        assert await uow.accounts.find_by_email("ada@example.com") == ada


async def test_a_google_subject_belongs_to_one_account(container: Container) -> None:
    await stored(container, an_account("ada@example.com", google_subject="g-1"))

    with pytest.raises(EmailTaken):
        async with container.uow()(account_id=None) as uow:
            await uow.accounts.add(an_account("other@example.com", google_subject="g-1"))
            await uow.commit()


# -- the tenant scope ---------------------------------------------------------------------------


async def test_the_tenant_scope_hides_every_row_of_another_account(container: Container) -> None:
    ada, bob = (
        an_account("ada@example.com", google_subject="g-ada"),
        an_account("bob@example.com", google_subject="g-bob"),
    )
    bob_session, bob_key = a_session(bob), a_key(bob)
    bob_token = a_token(bob)
    await stored(container, ada, bob)
    async with container.uow()(account_id=bob.id) as uow:
        await uow.sessions.add(bob_session)
        await uow.api_keys.add(bob_key)
        await uow.tokens.add(bob_token)
        await uow.commit()

    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.accounts.get(bob.id) is None
        assert await uow.accounts.find_by_email("bob@example.com") is None
        assert await uow.accounts.find_by_google_subject("g-bob") is None
        assert await uow.sessions.find_by_token_hash(bob_session.token_hash) is None
        assert await uow.sessions.list_unrevoked(bob.id) == []
        assert await uow.sessions.revoke(bob.id, bob_session.id, T0) is False
        assert await uow.sessions.revoke_all(bob.id, T0) == 0
        await uow.sessions.touch(bob_session.id, T0 + timedelta(days=1))
        assert await uow.api_keys.find_by_hash(bob_key.key_hash) is None
        assert await uow.api_keys.list(bob.id) == []
        assert await uow.api_keys.revoke(bob.id, bob_key.id, T0) is False
        assert await uow.api_keys.revoke_all(bob.id, T0) == 0
        await uow.api_keys.touch(bob_key.id, T0 + timedelta(days=1))
        assert await uow.tokens.consume(bob_token.token_hash, TokenPurpose.VERIFY_EMAIL, T0) is None
        assert await uow.tokens.invalidate(bob.id, TokenPurpose.VERIFY_EMAIL, T0) == 0
        await uow.accounts.update(msgspec.structs.replace(bob, full_name="Mallory"))
        # Its own rows stay visible.
        assert await uow.accounts.get(ada.id) == ada
        await uow.commit()

    # Nothing of Bob's moved.
    assert await get_account(container, bob.id) == bob
    async with container.uow()(account_id=bob.id) as uow:
        assert await uow.sessions.list_unrevoked(bob.id) == [bob_session]
        assert await uow.api_keys.list(bob.id) == [bob_key]
        assert await uow.tokens.consume(bob_token.token_hash, TokenPurpose.VERIFY_EMAIL, T0) is not None


@pytest.fixture
def either_container(request: pytest.FixtureRequest) -> Container:
    return request.getfixturevalue(f"{request.param}_container")


@pytest.mark.parametrize(
    "either_container",
    [
        "postgres",
        "memory",
    ],
    indirect=True,
)
@pytest.mark.parametrize("row", ["session", "api_key", "token", "account"])
async def test_writing_a_row_of_another_account_is_refused_with_a_domain_error(
    either_container: Container, row: str
) -> None:
    container = either_container
    ada, bob = an_account("ada@example.com"), an_account("bob@example.com")
    await stored(container, ada)
    if row != "account":
        await stored(container, bob)

    with pytest.raises(AioomiError):
        async with container.uow()(account_id=ada.id) as uow:
            if row == "session":
                await uow.sessions.add(a_session(bob))
            elif row == "api_key":
                await uow.api_keys.add(a_key(bob))
            elif row == "token":
                await uow.tokens.add(a_token(bob))
            else:
                await uow.accounts.add(bob)
            await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert await uow.sessions.list_unrevoked(bob.id) == []
        assert await uow.api_keys.list(bob.id) == []
        if row == "account":
            assert await uow.accounts.get(bob.id) is None


# -- owner sessions -----------------------------------------------------------------------------


async def test_sessions_list_newest_first_and_revoke_one_or_all_but_one(container: Container) -> None:
    ada, bob = an_account("ada@example.com"), an_account("bob@example.com")
    await stored(container, ada, bob)
    oldest, middle, newest = (a_session(ada, created_at=T0 + n * MINUTE) for n in range(3))
    bobs = a_session(bob)
    async with container.uow()(account_id=ada.id) as uow:
        for session in (middle, newest, oldest):
            await uow.sessions.add(session)
        await uow.commit()
    async with container.uow()(account_id=bob.id) as uow:
        await uow.sessions.add(bobs)
        await uow.commit()

    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.sessions.list_unrevoked(ada.id) == [newest, middle, oldest]
        assert await uow.sessions.revoke(ada.id, middle.id, T0 + 5 * MINUTE) is True
        assert await uow.sessions.revoke(ada.id, middle.id, T0 + 6 * MINUTE) is False  # already revoked
        assert await uow.sessions.revoke(ada.id, new_id("lgn"), T0) is False
        await uow.commit()

    async with container.uow()(account_id=None) as uow:  # the account id must match too
        assert await uow.sessions.revoke(bob.id, newest.id, T0) is False
        assert await uow.sessions.revoke(ada.id, bobs.id, T0) is False
        await uow.commit()

    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.sessions.list_unrevoked(ada.id) == [newest, oldest]
        assert await uow.sessions.revoke_all(ada.id, T0 + 7 * MINUTE, keep=newest.id) == 1
        assert await uow.sessions.list_unrevoked(ada.id) == [newest]
        assert await uow.sessions.revoke_all(ada.id, T0 + 8 * MINUTE) == 1
        assert await uow.sessions.list_unrevoked(ada.id) == []
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        revoked = await uow.sessions.find_by_token_hash(middle.token_hash)
        assert revoked == msgspec.structs.replace(middle, revoked_at=T0 + 5 * MINUTE)
        assert (await uow.sessions.find_by_token_hash(oldest.token_hash)).revoked_at == T0 + 7 * MINUTE
        assert await uow.sessions.find_by_token_hash("no such hash") is None
        assert await uow.sessions.list_unrevoked(bob.id) == [bobs]  # revoke_all stays in its account


async def test_sessions_created_together_list_by_id_and_touch_moves_last_seen(container: Container) -> None:
    ada = an_account("ada@example.com")
    await stored(container, ada)
    twins = [a_session(ada) for _ in range(3)]
    async with container.uow()(account_id=ada.id) as uow:
        for session in twins:
            await uow.sessions.add(session)
        await uow.sessions.touch(twins[0].id, T0 + timedelta(hours=2))
        await uow.commit()

    async with container.uow()(account_id=ada.id) as uow:
        listed = await uow.sessions.list_unrevoked(ada.id)
    assert [s.id for s in listed] == sorted(s.id for s in twins)
    touched = next(s for s in listed if s.id == twins[0].id)
    assert touched.last_seen_at == T0 + timedelta(hours=2) and touched.created_at == T0


# -- API keys -----------------------------------------------------------------------------------


async def test_api_keys_list_live_ones_newest_first_revoke_once_and_touch(container: Container) -> None:
    ada, bob = an_account("ada@example.com"), an_account("bob@example.com")
    await stored(container, ada, bob)
    first, second, third = (a_key(ada, created_at=T0 + n * MINUTE, name=f"k{n}") for n in range(3))
    bobs = a_key(bob)
    async with container.uow()(account_id=ada.id) as uow:
        for key in (second, first, third):
            await uow.api_keys.add(key)
        await uow.commit()
    async with container.uow()(account_id=bob.id) as uow:
        await uow.api_keys.add(bobs)
        await uow.commit()

    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.api_keys.list(ada.id) == [third, second, first]
        assert await uow.api_keys.revoke(ada.id, second.id, T0 + 10 * MINUTE) is True
        assert await uow.api_keys.revoke(ada.id, second.id, T0 + 11 * MINUTE) is False
        assert await uow.api_keys.revoke(ada.id, new_id("key"), T0) is False
        await uow.api_keys.touch(first.id, T0 + 12 * MINUTE)
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert await uow.api_keys.revoke(ada.id, bobs.id, T0) is False  # not Ada's key
        assert await uow.api_keys.find_by_hash(second.key_hash) == msgspec.structs.replace(
            second, revoked_at=T0 + 10 * MINUTE
        )
        assert (await uow.api_keys.find_by_hash(first.key_hash)).last_used_at == T0 + 12 * MINUTE
        assert await uow.api_keys.find_by_hash("no such hash") is None
        assert await uow.api_keys.list(ada.id) == [third, msgspec.structs.replace(first, last_used_at=T0 + 12 * MINUTE)]
        assert await uow.api_keys.revoke_all(ada.id, T0 + 13 * MINUTE) == 2
        assert await uow.api_keys.list(ada.id) == []
        assert await uow.api_keys.list(bob.id) == [bobs]
        await uow.commit()


async def test_a_session_and_a_key_read_back_with_what_authenticating_them_needs(container: Container) -> None:
    """find_with_person and find_with_creator: one read each (issue 21's review), the same answer
    as the separate reads they replace."""
    ada, bob = an_account("ada@example.com"), an_account("bob@example.com")
    await stored(container, ada, bob)
    session = a_session(bob)
    old_key = a_key(ada)  # made before keys recorded their creator: the workspace's owner's
    bobs_key = msgspec.structs.replace(a_key(ada), role=Role.VIEWER, created_by=bob.id)
    joined = Membership(workspace_id=ada.id, account_id=bob.id, role=Role.SUPPORT, created_at=T0 + MINUTE)
    async with container.uow()(account_id=ada.id) as uow:
        await uow.workspaces.put_member(joined)
        await uow.api_keys.add(old_key)
        await uow.api_keys.add(bobs_key)
        await uow.commit()
    async with container.uow()(account_id=bob.id) as uow:
        await uow.sessions.add(session)
        await uow.commit()
    own = Membership(workspace_id=bob.id, account_id=bob.id, role=Role.OWNER, created_at=T0)  # at sign-up

    async with container.uow()(account_id=None, read_only=True) as uow:
        assert await uow.sessions.find_with_person(session.token_hash) == SessionWithPerson(
            session=session, account_status=AccountStatus.ACTIVE, memberships=[own, joined]
        )
        assert await uow.sessions.find_with_person("no such hash") is None
        assert await uow.api_keys.find_with_creator(bobs_key.key_hash) == KeyWithCreator(
            key=bobs_key, creator_status=AccountStatus.ACTIVE, membership=joined
        )
        ada_owns = Membership(workspace_id=ada.id, account_id=ada.id, role=Role.OWNER, created_at=T0)
        assert await uow.api_keys.find_with_creator(old_key.key_hash) == KeyWithCreator(
            key=old_key, creator_status=AccountStatus.ACTIVE, membership=ada_owns
        )
        assert await uow.api_keys.find_with_creator("no such hash") is None

    # bob leaves ada's workspace and asks for his account's erasure: both answers follow at once
    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.workspaces.remove_member(ada.id, bob.id)
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        await uow.accounts.update(msgspec.structs.replace(bob, status=AccountStatus.DELETION_PENDING))
        await uow.commit()
    async with container.uow()(account_id=None, read_only=True) as uow:
        found = await uow.sessions.find_with_person(session.token_hash)
        assert found is not None and (found.account_status, found.memberships) == (
            AccountStatus.DELETION_PENDING,
            [own],
        )
        keyed = await uow.api_keys.find_with_creator(bobs_key.key_hash)
        assert keyed is not None and (keyed.creator_status, keyed.membership) == (AccountStatus.DELETION_PENDING, None)


# -- one-time tokens ----------------------------------------------------------------------------


async def test_a_one_time_token_is_consumed_once_for_its_purpose_before_it_expires(container: Container) -> None:
    ada = an_account("ada@example.com")
    await stored(container, ada)
    change = a_token(ada, TokenPurpose.CHANGE_EMAIL, new_email="ada@new.example.com")
    expiring = a_token(ada, TokenPurpose.RESET_PASSWORD, expires_at=T0 + timedelta(hours=1))
    async with container.uow()(account_id=ada.id) as uow:
        await uow.tokens.add(change)
        await uow.tokens.add(expiring)
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert await uow.tokens.consume(change.token_hash, TokenPurpose.VERIFY_EMAIL, T0) is None  # wrong purpose
        used = await uow.tokens.consume(change.token_hash, TokenPurpose.CHANGE_EMAIL, T0 + MINUTE)
        assert used == msgspec.structs.replace(change, used_at=T0 + MINUTE)
        assert used.new_email == "ada@new.example.com"
        assert await uow.tokens.consume(change.token_hash, TokenPurpose.CHANGE_EMAIL, T0 + 2 * MINUTE) is None
        # Expired at its expiry instant, and after.
        assert (
            await uow.tokens.consume(expiring.token_hash, TokenPurpose.RESET_PASSWORD, T0 + timedelta(hours=1)) is None
        )
        assert await uow.tokens.consume("no such hash", TokenPurpose.RESET_PASSWORD, T0) is None
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert await uow.tokens.consume(change.token_hash, TokenPurpose.CHANGE_EMAIL, T0 + 3 * MINUTE) is None
        assert await uow.tokens.consume(expiring.token_hash, TokenPurpose.RESET_PASSWORD, T0 + 59 * MINUTE) is not None


async def test_scopes_and_re_authentication_times_read_back(container: Container) -> None:
    ada, bob = an_account("ada@example.com"), an_account("bob@example.com")
    await stored(container, ada, bob)
    key = msgspec.structs.replace(a_key(ada), scopes=(Scope.AGENTS_READ, Scope.USAGE_WRITE))
    bare = a_key(ada, name="no scopes")
    session = a_session(ada)
    async with container.uow()(account_id=ada.id) as uow:
        await uow.api_keys.add(key)
        await uow.api_keys.add(bare)
        await uow.sessions.add(session)
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert (await uow.api_keys.find_by_hash(key.key_hash)).scopes == (Scope.AGENTS_READ, Scope.USAGE_WRITE)
        assert (await uow.api_keys.find_by_hash(bare.key_hash)).scopes == ()
        assert (await uow.sessions.find_by_token_hash(session.token_hash)).authenticated_at is None
    async with container.uow()(account_id=bob.id) as uow:  # another tenant cannot
        assert not await uow.sessions.mark_authenticated(bob.id, session.id, T0 + MINUTE)
    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.sessions.mark_authenticated(ada.id, session.id, T0 + 5 * MINUTE)
        await uow.sessions.revoke(ada.id, session.id, T0 + 6 * MINUTE)
        assert not await uow.sessions.mark_authenticated(ada.id, session.id, T0 + 7 * MINUTE)  # revoked
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        found = await uow.sessions.find_by_token_hash(session.token_hash)
        assert found.authenticated_at == T0 + 5 * MINUTE and found.last_authenticated_at == T0 + 5 * MINUTE


async def test_peek_reads_an_open_token_of_any_purpose_without_using_it(container: Container) -> None:
    ada = an_account("ada@example.com")
    await stored(container, ada)
    cancel = msgspec.structs.replace(a_token(ada, TokenPurpose.CANCEL_EMAIL_CHANGE), restore_email="ada@example.com")
    async with container.uow()(account_id=ada.id) as uow:
        await uow.tokens.add(cancel)
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert await uow.tokens.peek(cancel.token_hash, T0) == cancel
        assert await uow.tokens.peek(cancel.token_hash, cancel.expires_at) is None  # expired at its expiry
        assert await uow.tokens.peek("no such hash", T0) is None
        used = await uow.tokens.consume(cancel.token_hash, TokenPurpose.CANCEL_EMAIL_CHANGE, T0)
        assert used is not None and used.restore_email == "ada@example.com"
        assert await uow.tokens.peek(cancel.token_hash, T0) is None
        await uow.commit()


async def test_trusted_devices_are_found_by_hash_and_forgotten_per_account(container: Container) -> None:
    ada, bob = an_account("ada@example.com"), an_account("bob@example.com")
    await stored(container, ada, bob)
    devices = [
        TrustedDevice(
            id=new_id("dev"),
            account_id=owner.id,
            token_hash=new_id("dh"),
            created_at=T0,
            expires_at=T0 + timedelta(days=180),
        )
        for owner in (ada, ada, bob)
    ]
    for device in devices:
        async with container.uow()(account_id=device.account_id) as uow:
            await uow.devices.add(device)
            await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert [await uow.devices.find_by_token_hash(d.token_hash) for d in devices] == devices
    async with container.uow()(account_id=bob.id) as uow:  # the tenant scope hides ada's
        assert await uow.devices.find_by_token_hash(devices[0].token_hash) is None
        assert await uow.devices.forget_all(ada.id) == 0
    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.devices.forget_all(ada.id) == 2
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert [await uow.devices.find_by_token_hash(d.token_hash) for d in devices] == [None, None, devices[2]]


async def test_invalidate_uses_up_the_open_tokens_of_one_purpose_only(container: Container) -> None:
    ada, bob = an_account("ada@example.com"), an_account("bob@example.com")
    await stored(container, ada, bob)
    old_links = [a_token(ada, TokenPurpose.VERIFY_EMAIL) for _ in range(2)]
    reset = a_token(ada, TokenPurpose.RESET_PASSWORD)
    bobs = a_token(bob, TokenPurpose.VERIFY_EMAIL)
    async with container.uow()(account_id=None) as uow:
        for token in (*old_links, reset, bobs):
            await uow.tokens.add(token)
        await uow.commit()

    async with container.uow()(account_id=ada.id) as uow:
        assert await uow.tokens.invalidate(ada.id, TokenPurpose.VERIFY_EMAIL, T0 + MINUTE) == 2
        assert await uow.tokens.invalidate(ada.id, TokenPurpose.VERIFY_EMAIL, T0 + MINUTE) == 0
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        for token in old_links:
            assert await uow.tokens.consume(token.token_hash, TokenPurpose.VERIFY_EMAIL, T0 + 2 * MINUTE) is None
        assert await uow.tokens.consume(reset.token_hash, TokenPurpose.RESET_PASSWORD, T0 + 2 * MINUTE) is not None
        assert await uow.tokens.consume(bobs.token_hash, TokenPurpose.VERIFY_EMAIL, T0 + 2 * MINUTE) is not None


# -- pending sign-ins ---------------------------------------------------------------------------


async def test_a_pending_sign_in_is_consumed_once_and_not_after_it_expires(container: Container) -> None:
    live, stale = a_pending(expires_at=T0 + timedelta(minutes=10)), a_pending(expires_at=T0 + timedelta(minutes=10))
    async with container.uow()(account_id=None) as uow:
        await uow.pending_sign_ins.add(live)
        await uow.pending_sign_ins.add(stale)
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert await uow.pending_sign_ins.consume(live.state_hash, T0 + MINUTE) == live
        assert await uow.pending_sign_ins.consume(live.state_hash, T0 + MINUTE) is None
        assert await uow.pending_sign_ins.consume(stale.state_hash, T0 + timedelta(minutes=10)) is None
        assert await uow.pending_sign_ins.consume("no such state", T0) is None
        await uow.commit()

    async with container.uow()(account_id=None) as uow:
        assert await uow.pending_sign_ins.consume(live.state_hash, T0 + MINUTE) is None
        assert await uow.pending_sign_ins.consume(stale.state_hash, T0 + timedelta(minutes=20)) is None


# -- transactions -------------------------------------------------------------------------------


async def test_leaving_without_commit_keeps_nothing_and_others_never_see_uncommitted_rows(container: Container) -> None:
    ada = an_account("ada@example.com")
    await stored(container, ada)
    bob = an_account("bob@example.com")
    session, key, token, pending = a_session(ada), a_key(ada), a_token(ada), a_pending()

    async with container.uow()(account_id=None) as uow:
        await uow.accounts.add(bob)
        await uow.accounts.update(msgspec.structs.replace(ada, full_name="Changed"))
        await uow.sessions.add(session)
        await uow.api_keys.add(key)
        await uow.tokens.add(token)
        await uow.pending_sign_ins.add(pending)
        async with container.uow()(account_id=None) as other:
            assert await other.accounts.get(bob.id) is None
            assert await other.accounts.get(ada.id) == ada
        # no commit

    with pytest.raises(RuntimeError, match="boom"):
        async with container.uow()(account_id=ada.id) as uow:
            await uow.sessions.add(session)
            await uow.api_keys.add(key)
            raise RuntimeError("boom")

    async with container.uow()(account_id=None) as uow:
        assert await uow.accounts.get(bob.id) is None
        assert await uow.accounts.find_by_email("bob@example.com") is None
        assert await uow.accounts.get(ada.id) == ada
        assert await uow.sessions.find_by_token_hash(session.token_hash) is None
        assert await uow.sessions.list_unrevoked(ada.id) == []
        assert await uow.api_keys.find_by_hash(key.key_hash) is None
        assert await uow.tokens.consume(token.token_hash, TokenPurpose.VERIFY_EMAIL, T0) is None
        assert await uow.pending_sign_ins.consume(pending.state_hash, T0) is None
