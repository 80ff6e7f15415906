"""Account stores in memory, with the same semantics as the Postgres ones."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.adapters.memory.tables import Table
from aioomi.adapters.memory.workspaces import InMemoryWorkspaceRepository
from aioomi.domain.model.accounts import (
    Account,
    ApiKey,
    EmailTaken,
    OneTimeToken,
    OwnerSession,
    TokenPurpose,
    TrustedDevice,
)
from aioomi.domain.model.workspaces import personal_workspace
from aioomi.ports.accounts import KeyWithCreator, PendingSignIn, SessionWithPerson


class InMemoryAccountRepository:
    def __init__(
        self, table: Table[Account], all_accounts: dict[str, Account], workspaces: InMemoryWorkspaceRepository
    ) -> None:
        self._table = table
        self._all = all_accounts  # uniqueness is global, whatever the tenant scope
        self._workspaces = workspaces

    def _check_unique(self, account: Account) -> None:
        for other in list(self._all.values()) + list(self._table.rows.values()):
            if other.id == account.id:
                continue
            if other.email.lower() == account.email.lower() or (
                account.google_subject is not None and other.google_subject == account.google_subject
            ):
                raise EmailTaken("That email address cannot be used.")

    async def add(self, account: Account) -> None:
        if account.id in self._table.rows:
            raise EmailTaken("That email address cannot be used.")
        self._check_unique(account)
        self._table.put(account.id, account)
        await self._workspaces.add(*personal_workspace(account.id, account.created_at))

    async def update(self, account: Account) -> None:
        if self._table.get(account.id) is None:
            return
        self._check_unique(account)
        self._table.put(account.id, account)

    async def get(self, account_id: str) -> Account | None:
        return self._table.get(account_id)

    async def find_by_email(self, email: str) -> Account | None:
        return next((a for a in self._table.values() if a.email.lower() == email.lower()), None)

    async def find_by_google_subject(self, subject: str) -> Account | None:
        return next((a for a in self._table.values() if a.google_subject == subject), None)


class InMemoryOwnerSessionRepository:
    def __init__(
        self, table: Table[OwnerSession], accounts: InMemoryAccountRepository, workspaces: InMemoryWorkspaceRepository
    ) -> None:
        self._table = table
        self._accounts = accounts
        self._workspaces = workspaces

    async def add(self, session: OwnerSession) -> None:
        self._table.put(session.id, session)

    async def find_by_token_hash(self, token_hash: str) -> OwnerSession | None:
        return next((s for s in self._table.values() if s.token_hash == token_hash), None)

    async def find_with_person(self, token_hash: str) -> SessionWithPerson | None:
        session = await self.find_by_token_hash(token_hash)
        if session is None:
            return None
        account = await self._accounts.get(session.account_id)
        return SessionWithPerson(
            session=session,
            account_status=None if account is None else account.status,
            memberships=await self._workspaces.memberships_of(session.account_id),
        )

    async def touch(self, session_id: str, at: datetime) -> None:
        if (session := self._table.get(session_id)) is not None:
            self._table.put(session_id, msgspec.structs.replace(session, last_seen_at=at))

    async def choose_workspace(self, account_id: str, session_id: str, workspace_id: str) -> bool:
        session = self._table.get(session_id)
        if session is None or session.account_id != account_id or session.revoked_at is not None:
            return False
        self._table.put(session_id, msgspec.structs.replace(session, workspace_id=workspace_id))
        return True

    async def mark_authenticated(self, account_id: str, session_id: str, at: datetime) -> bool:
        session = self._table.get(session_id)
        if session is None or session.account_id != account_id or session.revoked_at is not None:
            return False
        self._table.put(session_id, msgspec.structs.replace(session, authenticated_at=at))
        return True

    async def revoke(self, account_id: str, session_id: str, at: datetime) -> bool:
        session = self._table.get(session_id)
        if session is None or session.account_id != account_id or session.revoked_at is not None:
            return False
        self._table.put(session_id, msgspec.structs.replace(session, revoked_at=at))
        return True

    async def revoke_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        doomed = [
            s for s in self._table.values() if s.account_id == account_id and s.revoked_at is None and s.id != keep
        ]
        for session in doomed:
            self._table.put(session.id, msgspec.structs.replace(session, revoked_at=at))
        return len(doomed)

    async def list_unrevoked(self, account_id: str) -> list[OwnerSession]:
        found = [s for s in self._table.values() if s.account_id == account_id and s.revoked_at is None]
        return sorted(found, key=lambda s: (-s.created_at.timestamp(), s.id))


class InMemoryApiKeyRepository:
    def __init__(
        self, table: Table[ApiKey], accounts: InMemoryAccountRepository, workspaces: InMemoryWorkspaceRepository
    ) -> None:
        self._table = table
        self._accounts = accounts
        self._workspaces = workspaces

    async def add(self, key: ApiKey) -> None:
        self._table.put(key.id, key)

    async def find_by_hash(self, key_hash: str) -> ApiKey | None:
        return next((k for k in self._table.values() if k.key_hash == key_hash), None)

    async def find_with_creator(self, key_hash: str) -> KeyWithCreator | None:
        key = await self.find_by_hash(key_hash)
        if key is None:
            return None
        creator = key.created_by or key.account_id
        account = await self._accounts.get(creator)
        return KeyWithCreator(
            key=key,
            creator_status=None if account is None else account.status,
            membership=await self._workspaces.membership(key.account_id, creator),
        )

    async def list(self, account_id: str) -> list[ApiKey]:
        found = [k for k in self._table.values() if k.account_id == account_id and k.revoked_at is None]
        return sorted(found, key=lambda k: (-k.created_at.timestamp(), k.id))

    async def revoke(self, account_id: str, key_id: str, at: datetime) -> bool:
        key = self._table.get(key_id)
        if key is None or key.account_id != account_id or key.revoked_at is not None:
            return False
        self._table.put(key_id, msgspec.structs.replace(key, revoked_at=at))
        return True

    async def revoke_all(self, account_id: str, at: datetime) -> int:
        live = [
            k
            for k in self._table.values()
            if k.revoked_at is None
            and (k.created_by == account_id or (k.created_by is None and k.account_id == account_id))
        ]
        for key in live:
            self._table.put(key.id, msgspec.structs.replace(key, revoked_at=at))
        return len(live)

    async def touch(self, key_id: str, at: datetime) -> None:
        if (key := self._table.get(key_id)) is not None:
            self._table.put(key_id, msgspec.structs.replace(key, last_used_at=at))


class InMemoryOneTimeTokenRepository:
    def __init__(self, table: Table[OneTimeToken]) -> None:
        self._table = table

    async def add(self, token: OneTimeToken) -> None:
        self._table.put(token.id, token)

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        token = next(
            (
                t
                for t in self._table.values()
                if t.token_hash == token_hash and t.purpose is purpose and t.used_at is None and t.expires_at > now
            ),
            None,
        )
        if token is None:
            return None
        used = msgspec.structs.replace(token, used_at=now)
        self._table.put(token.id, used)
        return used

    async def invalidate(self, account_id: str, purpose: TokenPurpose, at: datetime) -> int:
        open_ = [
            t for t in self._table.values() if t.account_id == account_id and t.purpose is purpose and t.used_at is None
        ]
        for token in open_:
            self._table.put(token.id, msgspec.structs.replace(token, used_at=at))
        return len(open_)

    async def peek(self, token_hash: str, now: datetime) -> OneTimeToken | None:
        return next(
            (
                t
                for t in self._table.values()
                if t.token_hash == token_hash and t.used_at is None and t.expires_at > now
            ),
            None,
        )


class InMemoryTrustedDeviceRepository:
    def __init__(self, table: Table[TrustedDevice]) -> None:
        self._table = table

    async def add(self, device: TrustedDevice) -> None:
        self._table.put(device.id, device)

    async def find_by_token_hash(self, token_hash: str) -> TrustedDevice | None:
        return next((d for d in self._table.values() if d.token_hash == token_hash), None)

    async def forget_all(self, account_id: str) -> int:
        doomed = [d.id for d in self._table.values() if d.account_id == account_id]
        for device_id in doomed:
            self._table.delete(device_id)
        return len(doomed)

    async def list_for_account(self, account_id: str) -> list[TrustedDevice]:
        return sorted(
            (d for d in self._table.values() if d.account_id == account_id), key=lambda d: (d.created_at, d.id)
        )


class InMemoryPendingSignInRepository:
    def __init__(self, table: Table[PendingSignIn]) -> None:
        self._table = table

    async def add(self, pending: PendingSignIn) -> None:
        self._table.put(pending.state_hash, pending)

    async def consume(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        pending = self._table.get(state_hash)
        if pending is None:
            return None
        self._table.delete(state_hash)
        return pending if pending.expires_at > now else None
