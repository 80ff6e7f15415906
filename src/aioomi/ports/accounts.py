"""Stores for accounts and what hangs off them. Each works inside a unit of work, and each
call is scoped to one account (the unit of work's tenant) except the look-ups that sign-in
needs before anyone is known, which run in the system scope."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec

from aioomi.domain.model.accounts import (
    Account,
    AccountStatus,
    ApiKey,
    OneTimeToken,
    OwnerSession,
    TokenPurpose,
    TrustedDevice,
)
from aioomi.domain.model.workspaces import Membership


class SessionWithPerson(msgspec.Struct, frozen=True, kw_only=True):
    """A session with what authenticating it needs of its person, read together."""

    session: OwnerSession
    account_status: AccountStatus | None  # None: the account is gone
    memberships: list[Membership]  # the person's, oldest first


class KeyWithCreator(msgspec.Struct, frozen=True, kw_only=True):
    """An API key with what authenticating it needs of its creator, read together."""

    key: ApiKey
    creator_status: AccountStatus | None  # None: the account is gone
    membership: Membership | None  # the creator's in the key's workspace


class AccountRepository(Protocol):
    async def add(self, account: Account) -> None:
        """Insert the person together with their own workspace
        (:func:`~aioomi.domain.model.workspaces.personal_workspace`: same id, the person its
        owner), so every tenant key names a workspace from sign-up on; raises
        :class:`~aioomi.domain.model.accounts.EmailTaken` on a duplicate email."""
        ...

    async def get(self, account_id: str) -> Account | None: ...

    async def find_by_email(self, email: str) -> Account | None:
        """By normalised email (system scope)."""
        ...

    async def find_by_google_subject(self, subject: str) -> Account | None:
        """By Google's stable subject id (system scope)."""
        ...

    async def update(self, account: Account) -> None:
        """Replace the stored account with ``account`` (same id); raises EmailTaken like add."""
        ...


class OwnerSessionRepository(Protocol):
    async def add(self, session: OwnerSession) -> None: ...

    async def find_by_token_hash(self, token_hash: str) -> OwnerSession | None:
        """The session a cookie names (system scope), revoked or not."""
        ...

    async def find_with_person(self, token_hash: str) -> SessionWithPerson | None:
        """The session a cookie names (system scope), revoked or not, with its person's account
        status and every membership of theirs: what authenticating a request reads, in one
        statement (one round trip on Postgres)."""
        ...

    async def choose_workspace(self, account_id: str, session_id: str, workspace_id: str) -> bool:
        """Remember the workspace the person chose in this live session; whether it was theirs."""
        ...

    async def touch(self, session_id: str, at: datetime) -> None: ...

    async def mark_authenticated(self, account_id: str, session_id: str, at: datetime) -> bool:
        """Record that the session's owner re-authenticated at ``at``; False if the account has
        no live (unrevoked) session with that id."""
        ...

    async def revoke(self, account_id: str, session_id: str, at: datetime) -> bool:
        """Revoke one of the account's sessions; False if it has none with that id."""
        ...

    async def revoke_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        """Revoke every live session of the account but ``keep``; return how many."""
        ...

    async def list_unrevoked(self, account_id: str) -> list[OwnerSession]:
        """Sessions not revoked, newest first (the caller filters expired ones)."""
        ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def find_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key a bearer token names (system scope), revoked or not."""
        ...

    async def find_with_creator(self, key_hash: str) -> KeyWithCreator | None:
        """The key a bearer token names (system scope), revoked or not, with its creator's
        account status and membership in the key's workspace (a key made before keys recorded
        their creator: its workspace's owner, the account with the workspace's id), in one
        statement."""
        ...

    async def list(self, account_id: str) -> list[ApiKey]:
        """The account's keys that are not revoked, newest first."""
        ...

    async def revoke(self, account_id: str, key_id: str, at: datetime) -> bool: ...

    async def revoke_all(self, account_id: str, at: datetime) -> int:
        """Revoke every live key the person ``account_id`` made, in whichever workspace the unit
        of work sees (the system scope: all of them), and the keys of their own workspace made
        before keys recorded their creator; how many."""
        ...

    async def touch(self, key_id: str, at: datetime) -> None: ...


class OneTimeTokenRepository(Protocol):
    async def add(self, token: OneTimeToken) -> None: ...

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        """Mark the token used and return it, atomically; None if unknown, used or expired."""
        ...

    async def invalidate(self, account_id: str, purpose: TokenPurpose, at: datetime) -> int:
        """Use up every open token of that purpose (a new link replaces older ones)."""
        ...

    async def peek(self, token_hash: str, now: datetime) -> OneTimeToken | None:
        """The open token with that hash, whatever its purpose, without using it up (system
        scope); None if unknown, used or expired."""
        ...


class TrustedDeviceRepository(Protocol):
    async def add(self, device: TrustedDevice) -> None: ...

    async def find_by_token_hash(self, token_hash: str) -> TrustedDevice | None:
        """The device a device cookie names (system scope), expired or not."""
        ...

    async def forget_all(self, account_id: str) -> int:
        """Forget every trusted device of the account (its owner signed out everywhere)."""
        ...

    async def list_for_account(self, account_id: str) -> list[TrustedDevice]:
        """The account's trusted devices, expired or not, oldest first (for its data export)."""
        ...


class PendingSignIn(msgspec.Struct, frozen=True, kw_only=True):
    """What must survive between the redirect to the identity provider and its callback."""

    state_hash: str
    nonce: str
    code_verifier: str
    created_at: datetime
    expires_at: datetime
    adult_attested: bool = False
    accepted_policy_version: str | None = None


class PendingSignInRepository(Protocol):
    async def add(self, pending: PendingSignIn) -> None: ...

    async def consume(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        """Remove and return the pending sign-in; None if unknown or expired (single use)."""
        ...
