"""Authenticate: who is behind a session cookie or a bearer key."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import AccountStatus, Principal, SessionPolicy
from aioomi.domain.model.errors import Unauthenticated
from aioomi.domain.model.secrets import API_KEY_PREFIX, hash_token
from aioomi.domain.model.workspaces import NO_WORKSPACE, Role, current_membership, role_within
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
      checks for account-security operations;
    - a session acts in the workspace its person chose (else their first, their own) with their
      role there, read with the session on every request (no cache): a removed member's session
      is back in their own workspace at their next request, the other one out of reach; a person
      in no workspace at all acts in an empty scope as a viewer (``NO_WORKSPACE``);
    - a key acts in its workspace with its role, and only while its creator is a member whose
      role covers the key's (a removed creator's keys stop at once);
    - the session (or the key) and what it needs of its person are one read (one round trip on
      Postgres); recording the use is a write of its own, at most once a minute.
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
        # The session, its person's status and memberships: one read (one round trip), on every
        # request, never cached, so a removed member loses the workspace at once.
        async with self._uow(account_id=None, read_only=True) as uow:
            found = await uow.sessions.find_with_person(hash_token(token))
        if found is None or not found.session.is_live(now, self._policy.idle_timeout):
            raise Unauthenticated("Sign in to continue.", code="session_expired")
        session = found.session
        if found.account_status in (None, AccountStatus.DELETION_PENDING):
            raise Unauthenticated("Sign in to continue.", code="session_expired")
        membership = current_membership(found.memberships, session.workspace_id)
        if now - session.last_seen_at >= self._policy.touch_every:
            async with self._uow(account_id=None) as uow:
                await uow.sessions.touch(session.id, now)
                await uow.commit()
        return Principal(
            account_id=session.account_id,
            workspace_id=NO_WORKSPACE if membership is None else membership.workspace_id,
            role=Role.VIEWER if membership is None else membership.role,
            session_id=session.id,
            csrf_token=session.csrf_token,
            authenticated_at=session.last_authenticated_at,
        )

    async def _api_key(self, secret: str) -> Principal:
        if not secret.startswith(API_KEY_PREFIX):
            raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
        now = self._clock.now()
        # The key, its creator's status and membership: one read (one round trip).
        async with self._uow(account_id=None, read_only=True) as uow:
            found = await uow.api_keys.find_with_creator(hash_token(secret))
        if found is None or found.key.revoked_at is not None:
            raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
        key, membership = found.key, found.membership
        creator = key.created_by or key.account_id  # keys made before workspaces: the owner's
        if found.creator_status in (None, AccountStatus.DELETION_PENDING):
            raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
        if membership is None or not role_within(key.role, membership.role):
            raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
        if key.last_used_at is None or now - key.last_used_at >= self._policy.touch_every:
            async with self._uow(account_id=None) as uow:
                await uow.api_keys.touch(key.id, now)
                await uow.commit()
        return Principal(
            account_id=creator,
            workspace_id=key.account_id,
            role=key.role,
            api_key_id=key.id,
            scopes=frozenset(key.scopes),
        )
