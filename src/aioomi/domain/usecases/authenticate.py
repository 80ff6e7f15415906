"""Authenticate: who is behind a session cookie or a bearer key."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import AccountStatus, Principal, SessionPolicy
from aioomi.domain.model.errors import Unauthenticated
from aioomi.domain.model.secrets import API_KEY_PREFIX, hash_token
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ApiKeyCredential(msgspec.Struct, frozen=True, kw_only=True):
    """The secret of ``Authorization: Bearer <api key>``."""

    secret: str


class SessionCredential(msgspec.Struct, frozen=True, kw_only=True):
    """The token of an owner's session cookie."""

    token: str


Credential = ApiKeyCredential | SessionCredential


class Authenticate:
    """Resolve a credential (an API key or a session token) to a :class:`Principal`.

    One use case with a typed input rather than one per credential: the HTTP layer's principal
    dependency must stay a single dependency (the upload handlers', see
    ``tests/unit/test_use_case_dependencies.py``).

    Rules:
    - a session counts only while not revoked, younger than its absolute lifetime and used
      within the idle timeout; use extends the idle window (written at most once a minute);
    - an API key counts until revoked; its last use is recorded (at most once a minute);
    - accounts being deleted authenticate no more; every failure looks the same;
    - a key's principal carries the key's scopes; a session's carries when its owner last gave
      their password, which :class:`~aioomi.domain.usecases.accounts.require_recent_session.RequireRecentSession`
      checks for account-security operations.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: SessionPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def __call__(self, credential: Credential) -> Principal:
        if isinstance(credential, ApiKeyCredential):
            return await self._api_key(credential.secret)
        return await self._session(credential.token)

    async def _session(self, token: str) -> Principal:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            session = await uow.sessions.find_by_token_hash(hash_token(token))
            if session is None or not session.is_live(now, self._policy.idle_timeout):
                raise Unauthenticated("Sign in to continue.", code="session_expired")
            account = await uow.accounts.get(session.account_id)
            if account is None or account.status is AccountStatus.DELETION_PENDING:
                raise Unauthenticated("Sign in to continue.", code="session_expired")
            if now - session.last_seen_at >= self._policy.touch_every:
                await uow.sessions.touch(session.id, now)
                await uow.commit()
        return Principal(
            account_id=session.account_id,
            session_id=session.id,
            csrf_token=session.csrf_token,
            authenticated_at=session.last_authenticated_at,
        )

    async def _api_key(self, secret: str) -> Principal:
        if not secret.startswith(API_KEY_PREFIX):
            raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            key = await uow.api_keys.find_by_hash(hash_token(secret))
            if key is None or key.revoked_at is not None:
                raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
            account = await uow.accounts.get(key.account_id)
            if account is None or account.status is AccountStatus.DELETION_PENDING:
                raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
            if key.last_used_at is None or now - key.last_used_at >= self._policy.touch_every:
                await uow.api_keys.touch(key.id, now)
                await uow.commit()
        return Principal(account_id=key.account_id, api_key_id=key.id, scopes=frozenset(key.scopes))
