"""Request and response bodies of the account and sign-in API (msgspec, validated at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from aioomi.domain.model.accounts import Account, ApiKey, OwnerSession, Scope
from aioomi.domain.model.workspaces import Role

Email = Annotated[str, Meta(min_length=3, max_length=254, description="Email address")]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
NewPassword = Annotated[str, Meta(min_length=8, max_length=1024, description="8 to 1024 characters")]
FullName = Annotated[str, Meta(min_length=1, max_length=200)]
Token = Annotated[str, Meta(min_length=10, max_length=200)]


class Body(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Request bodies refuse unknown fields, so a typo is an error rather than ignored."""


class SignUpIn(Body):
    email: Email
    full_name: FullName
    password: NewPassword
    adult: bool = msgspec.field(default=False)
    """Confirms the person is 18 or older."""
    accepted_policy_version: Annotated[str, Meta(max_length=40)] = ""
    """The privacy policy version the person accepted (see GET /api/v1/auth/policy)."""
    invitation_token: Annotated[str, Meta(max_length=200)] | None = None
    """From a workspace invitation's link: the new account joins that workspace."""


class SignInIn(Body):
    email: Email
    password: Password


class TokenIn(Body):
    token: Token


class EmailIn(Body):
    email: Email


class ResetConfirmIn(Body):
    token: Token
    new_password: NewPassword
    revoke_api_keys: bool = False
    """Also revoke every API key of the account (every session is signed out anyway)."""


class ChangePasswordIn(Body):
    new_password: NewPassword
    current_password: Password | None = None
    revoke_api_keys: bool = False
    """Also revoke every API key of the account (every other session is signed out anyway)."""


class ReauthenticateIn(Body):
    password: Password


class Reauthenticated(msgspec.Struct, frozen=True, kw_only=True):
    authenticated_at: datetime
    valid_until: datetime
    """Account-security operations are allowed from this session until then."""


class AccountPatch(Body):
    full_name: FullName | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    current_password: Password | UnsetType = UNSET
    """Required to change the email of an account that has a password."""


class ApiKeyCreate(Body):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], Meta(min_length=1, max_length=len(Scope))]
    """What the key may do, e.g. ``["agents:read", "knowledge:write"]``."""
    role: Role | None = None
    """The key's role in the workspace, at most the creator's (default: the creator's)."""


class Accepted(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    detail: str


class AccountOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str
    full_name: str
    sign_in_methods: list[str]
    email_verified: bool
    status: str
    accepted_policy_version: str
    adult_attested_at: datetime
    created_at: datetime
    pending_email: str | None = None

    @classmethod
    def of(cls, account: Account, *, pending_email: str | None = None) -> AccountOut:
        return cls(
            id=account.id,
            email=account.email,
            full_name=account.full_name,
            sign_in_methods=[str(m) for m in account.sign_in_methods],
            email_verified=account.email_verified,
            status=str(account.status),
            accepted_policy_version=account.accepted_policy_version,
            adult_attested_at=account.adult_attested_at,
            created_at=account.created_at,
            pending_email=pending_email,
        )


class SessionOut(msgspec.Struct, frozen=True, kw_only=True):
    """A new session: the cookie is set on the response; ``csrf_token`` goes in the
    ``X-CSRF-Token`` header of every unsafe request made with the cookie."""

    account: AccountOut
    session_id: str
    csrf_token: str
    expires_at: datetime


class EmailConfirmedOut(msgspec.Struct, frozen=True, kw_only=True):
    """A confirmed address. A sign-up link also signs in (the session fields are set and the
    cookie too); an email-change link only confirms (they are null)."""

    account: AccountOut
    signed_in: bool
    session_id: str | None = None
    csrf_token: str | None = None
    expires_at: datetime | None = None


class EmailChangeCancelledOut(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    restored: bool
    """The old address was put back (the change had been confirmed)."""
    sessions_revoked: int
    api_keys_revoked: int


class WhoAmI(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    via: str
    session_id: str | None = None
    api_key_id: str | None = None
    csrf_token: str | None = None
    scopes: list[str] | None = None
    """The API key's scopes (null for a session, which may do everything)."""
    authenticated_at: datetime | None = None
    """When the session's owner last signed in or re-entered their password."""
    workspace_id: str | None = None
    """The workspace this request acts in (the tenant)."""
    role: Role | None = None
    """The caller's role there (an API key's: the key's)."""


class OwnerSessionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool

    @classmethod
    def of(cls, session: OwnerSession, current_id: str | None) -> OwnerSessionOut:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            ip=session.ip,
            user_agent=session.user_agent,
            current=session.id == current_id,
        )


class OwnerSessionList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[OwnerSessionOut]
    next_cursor: str | None = None


class RevokedCount(msgspec.Struct, frozen=True, kw_only=True):
    revoked: int
    """Sessions signed out."""
    revoked_api_keys: int = 0


class ApiKeyOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    scopes: list[str]
    role: Role

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            scopes=[str(s) for s in key.scopes],
            role=key.role,
        )


class ApiKeyCreated(ApiKeyOut, frozen=True, kw_only=True):
    secret: str
    """The whole key. Shown this once: store it now."""


class ApiKeyList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[ApiKeyOut]
    next_cursor: str | None = None


class PolicyOut(msgspec.Struct, frozen=True, kw_only=True):
    version: str
