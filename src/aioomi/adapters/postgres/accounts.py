"""Account stores on Postgres. They run on the unit of work's connection, so the transaction
and its tenant scope (row-level security) apply; every query also filters by account itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import msgspec
import psycopg
from psycopg import errors as pg_errors

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.adapters.postgres.repository import PostgresRepository, params_of
from aioomi.domain.model.accounts import (
    Account,
    AccountStatus,
    ApiKey,
    EmailTaken,
    OneTimeToken,
    OwnerSession,
    TokenPurpose,
    TrustedDevice,
)
from aioomi.domain.model.workspaces import PERSONAL_WORKSPACE_NAME, Membership
from aioomi.ports.accounts import KeyWithCreator, PendingSignIn, SessionWithPerson

T = TypeVar("T")


def _one(cls: type[T], row: dict[str, Any] | None) -> T | None:
    return None if row is None else msgspec.convert(row, cls)


_ACCOUNT_COLUMNS = (
    "id, email, full_name, password_hash, google_subject, email_verified_at, adult_attested_at, "
    "accepted_policy_version, status, created_at, updated_at"
)


class PostgresAccountRepository(PostgresRepository):
    async def _write_account(self, query: str, account: Account) -> None:
        try:
            await self._conn.execute(query, params_of(account))
        except pg_errors.UniqueViolation as error:
            raise EmailTaken("That email address cannot be used.") from error
        except psycopg.Error:
            with translated_errors():
                raise

    async def add(self, account: Account) -> None:
        # One statement: the person, their own workspace (same id) and their owner membership.
        await self._write_account(
            f"WITH person AS (INSERT INTO accounts ({_ACCOUNT_COLUMNS}) VALUES (%(id)s, %(email)s, %(full_name)s, "
            "%(password_hash)s, %(google_subject)s, %(email_verified_at)s, %(adult_attested_at)s, "
            "%(accepted_policy_version)s, %(status)s, %(created_at)s, %(updated_at)s) RETURNING id, created_at), "
            "workspace AS (INSERT INTO workspaces (id, name, created_at, updated_at) "
            f"SELECT id, '{PERSONAL_WORKSPACE_NAME}', created_at, created_at FROM person RETURNING id, created_at) "
            "INSERT INTO workspace_members (workspace_id, account_id, role, created_at) "
            "SELECT id, id, 'owner', created_at FROM workspace",
            account,
        )

    async def update(self, account: Account) -> None:
        await self._write_account(
            "UPDATE accounts SET email = %(email)s, full_name = %(full_name)s, password_hash = %(password_hash)s, "
            "google_subject = %(google_subject)s, email_verified_at = %(email_verified_at)s, "
            "status = %(status)s, updated_at = %(updated_at)s WHERE id = %(id)s",
            account,
        )

    async def get(self, account_id: str) -> Account | None:
        return _one(Account, await self._row(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE id = %s", (account_id,)))

    async def find_by_email(self, email: str) -> Account | None:
        return _one(
            Account,
            await self._row(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE lower(email) = lower(%s)", (email,)),
        )

    async def find_by_google_subject(self, subject: str) -> Account | None:
        return _one(
            Account, await self._row(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE google_subject = %s", (subject,))
        )


_SESSION_COLUMNS = (
    "id, account_id, token_hash, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, revoked_at, "
    "authenticated_at, workspace_id"
)
_SESSION_IN_JOIN = ", ".join(f"s.{column}" for column in _SESSION_COLUMNS.split(", "))


class PostgresOwnerSessionRepository(PostgresRepository):
    async def add(self, session: OwnerSession) -> None:
        await self._execute(
            f"INSERT INTO owner_sessions ({_SESSION_COLUMNS}) VALUES (%(id)s, %(account_id)s, %(token_hash)s, "
            "%(csrf_token)s, %(created_at)s, %(last_seen_at)s, %(expires_at)s, %(ip)s, %(user_agent)s, %(revoked_at)s, "
            "%(authenticated_at)s, %(workspace_id)s)",
            params_of(session),
        )

    async def find_by_token_hash(self, token_hash: str) -> OwnerSession | None:
        return _one(
            OwnerSession,
            await self._row(f"SELECT {_SESSION_COLUMNS} FROM owner_sessions WHERE token_hash = %s", (token_hash,)),
        )

    async def find_with_person(self, token_hash: str) -> SessionWithPerson | None:
        row = await self._row(
            f"SELECT {_SESSION_IN_JOIN}, a.status AS account_status, "
            "COALESCE((SELECT json_agg(json_build_object('workspace_id', m.workspace_id, 'account_id', m.account_id, "
            "'role', m.role, 'created_at', m.created_at) ORDER BY m.created_at, m.workspace_id) "
            "FROM workspace_members m WHERE m.account_id = s.account_id), '[]'::json) AS memberships "
            "FROM owner_sessions s LEFT JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = %s",
            (token_hash,),
        )
        if row is None:
            return None
        status, memberships = row.pop("account_status"), row.pop("memberships")
        return SessionWithPerson(
            session=msgspec.convert(row, OwnerSession),
            account_status=None if status is None else AccountStatus(status),
            memberships=[msgspec.convert(m, Membership, strict=False) for m in memberships],
        )

    async def touch(self, session_id: str, at: datetime) -> None:
        await self._execute("UPDATE owner_sessions SET last_seen_at = %s WHERE id = %s", (at, session_id))

    async def choose_workspace(self, account_id: str, session_id: str, workspace_id: str) -> bool:
        return 1 == await self._execute(
            "UPDATE owner_sessions SET workspace_id = %s WHERE id = %s AND account_id = %s AND revoked_at IS NULL",
            (workspace_id, session_id, account_id),
        )

    async def mark_authenticated(self, account_id: str, session_id: str, at: datetime) -> bool:
        return 1 == await self._execute(
            "UPDATE owner_sessions SET authenticated_at = %s WHERE id = %s AND account_id = %s AND revoked_at IS NULL",
            (at, session_id, account_id),
        )

    async def revoke(self, account_id: str, session_id: str, at: datetime) -> bool:
        return 1 == await self._execute(
            "UPDATE owner_sessions SET revoked_at = %s WHERE id = %s AND account_id = %s AND revoked_at IS NULL",
            (at, session_id, account_id),
        )

    async def revoke_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        return await self._execute(
            "UPDATE owner_sessions SET revoked_at = %s WHERE account_id = %s AND revoked_at IS NULL "
            "AND id IS DISTINCT FROM %s",
            (at, account_id, keep),
        )

    async def list_unrevoked(self, account_id: str) -> list[OwnerSession]:
        rows = await self._rows(
            f"SELECT {_SESSION_COLUMNS} FROM owner_sessions WHERE account_id = %s AND revoked_at IS NULL "
            "ORDER BY created_at DESC, id",
            (account_id,),
        )
        return [msgspec.convert(r, OwnerSession) for r in rows]


_KEY_COLUMNS = "id, account_id, name, prefix, key_hash, created_at, last_used_at, revoked_at, scopes, role, created_by"
_KEY_IN_JOIN = ", ".join(f"k.{column}" for column in _KEY_COLUMNS.split(", "))


class PostgresApiKeyRepository(PostgresRepository):
    async def add(self, key: ApiKey) -> None:
        await self._execute(
            f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (%(id)s, %(account_id)s, %(name)s, %(prefix)s, "
            "%(key_hash)s, %(created_at)s, %(last_used_at)s, %(revoked_at)s, %(scopes)s, %(role)s, %(created_by)s)",
            params_of(key) | {"scopes": [str(s) for s in key.scopes]},
        )

    async def find_by_hash(self, key_hash: str) -> ApiKey | None:
        return _one(ApiKey, await self._row(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = %s", (key_hash,)))

    async def find_with_creator(self, key_hash: str) -> KeyWithCreator | None:
        row = await self._row(
            f"SELECT {_KEY_IN_JOIN}, a.status AS creator_status, m.role AS member_role, "
            "m.created_at AS member_since FROM api_keys k "
            "LEFT JOIN accounts a ON a.id = COALESCE(k.created_by, k.account_id) "
            "LEFT JOIN workspace_members m ON m.workspace_id = k.account_id "
            "AND m.account_id = COALESCE(k.created_by, k.account_id) WHERE k.key_hash = %s",
            (key_hash,),
        )
        if row is None:
            return None
        status, role, since = row.pop("creator_status"), row.pop("member_role"), row.pop("member_since")
        key = msgspec.convert(row, ApiKey)
        membership = (
            None
            if role is None
            else msgspec.convert(
                {
                    "workspace_id": key.account_id,
                    "account_id": key.created_by or key.account_id,
                    "role": role,
                    "created_at": since,
                },
                Membership,
            )
        )
        return KeyWithCreator(
            key=key, creator_status=None if status is None else AccountStatus(status), membership=membership
        )

    async def list(self, account_id: str) -> list[ApiKey]:
        rows = await self._rows(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE account_id = %s AND revoked_at IS NULL "
            "ORDER BY created_at DESC, id",
            (account_id,),
        )
        return [msgspec.convert(r, ApiKey) for r in rows]

    async def revoke(self, account_id: str, key_id: str, at: datetime) -> bool:
        return 1 == await self._execute(
            "UPDATE api_keys SET revoked_at = %s WHERE id = %s AND account_id = %s AND revoked_at IS NULL",
            (at, key_id, account_id),
        )

    async def revoke_all(self, account_id: str, at: datetime) -> int:
        return await self._execute(
            "UPDATE api_keys SET revoked_at = %(at)s WHERE revoked_at IS NULL "
            "AND (created_by = %(a)s OR (created_by IS NULL AND account_id = %(a)s))",
            {"at": at, "a": account_id},
        )

    async def touch(self, key_id: str, at: datetime) -> None:
        await self._execute("UPDATE api_keys SET last_used_at = %s WHERE id = %s", (at, key_id))


_TOKEN_COLUMNS = "id, account_id, purpose, token_hash, created_at, expires_at, used_at, new_email, restore_email"  # noqa: S105 - column names, not a secret


class PostgresOneTimeTokenRepository(PostgresRepository):
    async def add(self, token: OneTimeToken) -> None:
        await self._execute(
            f"INSERT INTO one_time_tokens ({_TOKEN_COLUMNS}) VALUES (%(id)s, %(account_id)s, %(purpose)s, "
            "%(token_hash)s, %(created_at)s, %(expires_at)s, %(used_at)s, %(new_email)s, %(restore_email)s)",
            params_of(token),
        )

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        return _one(
            OneTimeToken,
            await self._row(
                f"UPDATE one_time_tokens SET used_at = %(now)s WHERE token_hash = %(hash)s AND purpose = %(purpose)s "
                f"AND used_at IS NULL AND expires_at > %(now)s RETURNING {_TOKEN_COLUMNS}",
                {"now": now, "hash": token_hash, "purpose": str(purpose)},
            ),
        )

    async def invalidate(self, account_id: str, purpose: TokenPurpose, at: datetime) -> int:
        return await self._execute(
            "UPDATE one_time_tokens SET used_at = %s WHERE account_id = %s AND purpose = %s AND used_at IS NULL",
            (at, account_id, str(purpose)),
        )

    async def peek(self, token_hash: str, now: datetime) -> OneTimeToken | None:
        return _one(
            OneTimeToken,
            await self._row(
                f"SELECT {_TOKEN_COLUMNS} FROM one_time_tokens WHERE token_hash = %s AND used_at IS NULL "
                "AND expires_at > %s",
                (token_hash, now),
            ),
        )


_DEVICE_COLUMNS = "id, account_id, token_hash, created_at, expires_at"


class PostgresTrustedDeviceRepository(PostgresRepository):
    async def add(self, device: TrustedDevice) -> None:
        await self._execute(
            f"INSERT INTO trusted_devices ({_DEVICE_COLUMNS}) VALUES (%(id)s, %(account_id)s, %(token_hash)s, "
            "%(created_at)s, %(expires_at)s)",
            params_of(device),
        )

    async def find_by_token_hash(self, token_hash: str) -> TrustedDevice | None:
        return _one(
            TrustedDevice,
            await self._row(f"SELECT {_DEVICE_COLUMNS} FROM trusted_devices WHERE token_hash = %s", (token_hash,)),
        )

    async def forget_all(self, account_id: str) -> int:
        return await self._execute("DELETE FROM trusted_devices WHERE account_id = %s", (account_id,))

    async def list_for_account(self, account_id: str) -> list[TrustedDevice]:
        rows = await self._rows(
            f"SELECT {_DEVICE_COLUMNS} FROM trusted_devices WHERE account_id = %s ORDER BY created_at, id",
            (account_id,),
        )
        return [msgspec.convert(r, TrustedDevice) for r in rows]


class PostgresPendingSignInRepository(PostgresRepository):
    async def add(self, pending: PendingSignIn) -> None:
        await self._execute(
            "INSERT INTO pending_sign_ins (state_hash, nonce, code_verifier, created_at, expires_at, adult_attested, "
            "accepted_policy_version) VALUES (%(state_hash)s, %(nonce)s, %(code_verifier)s, %(created_at)s, "
            "%(expires_at)s, %(adult_attested)s, %(accepted_policy_version)s)",
            params_of(pending),
        )

    async def consume(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        return _one(
            PendingSignIn,
            await self._row(
                "DELETE FROM pending_sign_ins WHERE state_hash = %s AND expires_at > %s "
                "RETURNING state_hash, nonce, code_verifier, created_at, expires_at, adult_attested, "
                "accepted_policy_version",
                (state_hash, now),
            ),
        )
