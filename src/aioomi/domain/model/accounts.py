"""Accounts, owner sessions, API keys and one-time tokens, with the rules that govern them."""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta

import msgspec

from aioomi.domain.model.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from aioomi.domain.model.workspaces import Role


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    RESTRICTED = "restricted"
    DELETION_PENDING = "deletion_pending"


class SignInMethod(enum.StrEnum):
    PASSWORD = "password"  # noqa: S105 - a sign-in method's name, not a secret
    GOOGLE = "google"


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """An owner. Holds only what the privacy policy lists: email, full name, the sign-in
    methods (a password hash for email accounts, the Google subject for Google ones), plus the
    consents given at sign-up."""

    id: str
    email: str
    full_name: str
    password_hash: str | None
    google_subject: str | None
    email_verified_at: datetime | None
    adult_attested_at: datetime
    accepted_policy_version: str
    status: AccountStatus
    created_at: datetime
    updated_at: datetime

    @property
    def sign_in_methods(self) -> tuple[SignInMethod, ...]:
        methods = []
        if self.password_hash is not None:
            methods.append(SignInMethod.PASSWORD)
        if self.google_subject is not None:
            methods.append(SignInMethod.GOOGLE)
        return tuple(methods)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    # -- status transitions: the account guards its own life cycle ------------------------------
    # active ⇄ restricted (Art. 18); active or restricted → deletion_pending (Art. 17, during the
    # grace period); deletion_pending → the status it had before (the erasure is cancelled).
    # Any other change raises AccountStatusConflict and leaves the account as it was.

    def restrict(self, at: datetime) -> Account:
        """Processing restricted: only an active account."""
        return self._become(AccountStatus.RESTRICTED, at, allowed_from=(AccountStatus.ACTIVE,))

    def lift_restriction(self, at: datetime) -> Account:
        """Processing allowed again: only a restricted account."""
        return self._become(AccountStatus.ACTIVE, at, allowed_from=(AccountStatus.RESTRICTED,))

    def schedule_deletion(self, at: datetime) -> Account:
        """Erasure requested: an active or restricted account waits out the grace period."""
        return self._become(
            AccountStatus.DELETION_PENDING, at, allowed_from=(AccountStatus.ACTIVE, AccountStatus.RESTRICTED)
        )

    def cancel_deletion(self, back_to: AccountStatus, at: datetime) -> Account:
        """Erasure cancelled: back to ``back_to`` (active or restricted), only while pending."""
        if back_to is AccountStatus.DELETION_PENDING:
            raise AccountStatusConflict("A cancelled erasure returns the account to active or restricted.")
        return self._become(back_to, at, allowed_from=(AccountStatus.DELETION_PENDING,))

    def _become(self, status: AccountStatus, at: datetime, *, allowed_from: tuple[AccountStatus, ...]) -> Account:
        if self.status not in allowed_from:
            raise AccountStatusConflict(f"An account that is {self.status} cannot become {status}.")
        return msgspec.structs.replace(self, status=status, updated_at=at)


class AccountStatusConflict(Conflict):
    """A status change the account's life cycle does not allow (for example restricting an
    account whose erasure is pending)."""

    code = "account_status_conflict"
    title = "Not possible in the account's current status"


class OwnerSession(msgspec.Struct, frozen=True, kw_only=True):
    """A signed-in browser. The cookie carries a random token; only its hash is stored."""

    id: str
    account_id: str
    token_hash: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    revoked_at: datetime | None = None
    authenticated_at: datetime | None = None
    """When the owner last proved who they are in this session (sign-in or re-authentication);
    ``None`` on sessions stored before it was recorded, read as ``created_at``."""
    workspace_id: str | None = None
    """The workspace the person chose in this session (``None``: their first, their own)."""

    @property
    def last_authenticated_at(self) -> datetime:
        return self.authenticated_at or self.created_at

    def is_live(self, now: datetime, idle_timeout: timedelta) -> bool:
        return self.revoked_at is None and now < self.expires_at and now - self.last_seen_at < idle_timeout


class Scope(enum.StrEnum):
    """What an API key may do, chosen at its creation. ``read`` scopes allow the safe methods of
    their routes (and read-only searches); ``write`` scopes allow the rest. Account security —
    email, password, API keys, sessions, export, erasure — is never in a key's reach."""

    AGENTS_READ = "agents:read"
    AGENTS_WRITE = "agents:write"
    KNOWLEDGE_READ = "knowledge:read"
    KNOWLEDGE_WRITE = "knowledge:write"
    CONVERSATIONS_READ = "conversations:read"
    CONVERSATIONS_WRITE = "conversations:write"
    USAGE_READ = "usage:read"
    USAGE_WRITE = "usage:write"


ALL_SCOPES: tuple[Scope, ...] = tuple(Scope)


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer key for programs, belonging to a workspace (``account_id``: the tenant key).
    Shown once at creation; stored hashed with a visible prefix; allowed only what its
    ``scopes`` name and what its ``role`` permits in the workspace (never more than its
    creator's role; keys made before workspaces: ``owner``). ``created_by`` is the person who
    made it: the key counts only while they are still a member."""

    id: str
    account_id: str
    name: str
    prefix: str
    key_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    scopes: tuple[Scope, ...] = ()
    role: Role = Role.OWNER
    created_by: str | None = None


class TrustedDevice(msgspec.Struct, frozen=True, kw_only=True):
    """A browser that signed in to the account with its password before (OWASP's "device
    cookie"). Its cookie carries a random token; only the hash is stored. Sign-in attempts from
    it are counted apart, so strangers' wrong passwords cannot lock it out."""

    id: str
    account_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a token purpose's name, not a secret
    CHANGE_EMAIL = "change_email"
    CANCEL_EMAIL_CHANGE = "cancel_email_change"


class OneTimeToken(msgspec.Struct, frozen=True, kw_only=True):
    """A single-use, expiring link token (stored hashed). ``new_email`` for email changes."""

    id: str
    account_id: str
    purpose: TokenPurpose
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    new_email: str | None = None
    restore_email: str | None = None
    """For ``cancel_email_change``: the address to put back."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: a person (``account_id``) acting in a workspace (``workspace_id``, the
    tenant every workspace use case scopes to) with a ``role`` there, through a session or an
    API key. ``scopes`` are the key's (``None`` for a session); ``authenticated_at`` is when the
    session's owner last gave their password (or signed in)."""

    account_id: str
    workspace_id: str
    role: Role = Role.OWNER
    session_id: str | None = None
    api_key_id: str | None = None
    csrf_token: str | None = None
    scopes: frozenset[Scope] | None = None
    authenticated_at: datetime | None = None

    @classmethod
    def own(cls, *, account_id: str, **fields: object) -> Principal:
        """The person acting as the owner of their own workspace (same id as their account)."""
        return cls(account_id=account_id, workspace_id=account_id, **fields)  # type: ignore[arg-type]

    @property
    def via_cookie(self) -> bool:
        return self.session_id is not None


class SessionPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How long owner sessions and one-time links live."""

    idle_timeout: timedelta = timedelta(days=7)
    absolute_lifetime: timedelta = timedelta(days=30)
    touch_every: timedelta = timedelta(minutes=1)
    verification_link: timedelta = timedelta(hours=48)
    reset_link: timedelta = timedelta(hours=1)
    cancel_email_change_link: timedelta = timedelta(days=7)
    reauthentication_window: timedelta = timedelta(minutes=10)
    """How long after a sign-in (or re-authentication) account-security operations are allowed."""
    trusted_device_lifetime: timedelta = timedelta(days=180)

    def link_lifetime(self, purpose: TokenPurpose) -> timedelta:
        if purpose is TokenPurpose.RESET_PASSWORD:
            return self.reset_link
        if purpose is TokenPurpose.CANCEL_EMAIL_CHANGE:
            return self.cancel_email_change_link
        return self.verification_link


# --- rules -----------------------------------------------------------------------------------

MAX_EMAIL = 254
MAX_NAME = 200
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_KEY_NAME = 100

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)

# The most common passwords of at least eight characters in public breach corpora.
COMMON_PASSWORDS = frozenset(
    """
    password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword
    12345678 123456789 1234567890 123123123 11111111 00000000 88888888 87654321 12341234
    qwertyui qwerty12 qwerty123 qwerty1234 qwertyuiop 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx
    iloveyou iloveyou1 sunshine sunshine1 princess princess1 football football1 baseball
    welcome1 welcome123 abc12345 abcd1234 aa123456 a1234567 letmein1 trustno1 dragon123
    superman batman123 michael1 jennifer jordan23 charlie1 computer internet whatever
    starwars master123 monkey123 shadow123 liverpool chelsea1 arsenal1 corvette mustang1
    changeme changeme1 administrator admin123 admin1234 root1234 secret123 test1234
    testtest qazwsxedc asdfghjk asdfasdf zxcvbnm1 11223344 q1w2e3r4 1234qwer aaaaaaaa
    """.split()
)


def normalize_email(raw: str) -> str:
    """Trimmed and lower-cased; raises :class:`InvalidInput` unless it looks like an address."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidInput("Enter a valid email address.", code="invalid_email", field="email")
    return email


def check_full_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput("Enter your full name.", code="invalid_name", field="full_name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"The name is longer than {MAX_NAME} characters.", code="invalid_name", field="full_name")
    if any(ord(c) < 32 for c in name):
        raise InvalidInput("The name contains control characters.", code="invalid_name", field="full_name")
    return name


def check_new_password(password: str, *, email: str | None = None, field: str = "password") -> None:
    """Length 8–1024; not a common password; not the email address itself."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Use at least {MIN_PASSWORD} characters.", code="password_too_short", field=field)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"Use at most {MAX_PASSWORD} characters.", code="password_too_long", field=field)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email is not None and lowered in (email, email.split("@")[0])):
        raise InvalidInput(
            "This password is too easy to guess; choose another.", code="password_too_common", field=field
        )


def check_key_name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > MAX_KEY_NAME:
        raise InvalidInput(f"Name the key with 1 to {MAX_KEY_NAME} characters.", code="invalid_key_name", field="name")
    return name


def check_scopes(raw: list[str]) -> tuple[Scope, ...]:
    """At least one known scope; duplicates dropped; in the catalogue's order."""
    unknown = sorted(set(raw) - {str(s) for s in Scope})
    if unknown or not raw:
        raise InvalidInput(
            f"Choose scopes among {', '.join(Scope)}" + (f"; unknown: {', '.join(unknown)}." if unknown else "."),
            code="invalid_scopes",
            field="scopes",
        )
    return tuple(s for s in Scope if str(s) in raw)


def ensure_scope(principal: Principal, scope: Scope) -> None:
    """Sessions may do everything; an API key only what its scopes name."""
    if principal.scopes is not None and scope not in principal.scopes:
        raise InsufficientScope(f"This API key lacks the `{scope}` scope.")


def ensure_recent_authentication(principal: Principal, now: datetime, window: timedelta) -> None:
    """Account security needs a browser session whose owner gave their password (or signed in)
    within ``window``: never an API key, never a session stolen long after its sign-in."""
    if not principal.via_cookie:
        raise SessionRequired("Account security needs a signed-in browser session, not an API key.")
    if principal.authenticated_at is None or now - principal.authenticated_at > window:
        minutes = int(window.total_seconds() // 60)
        raise ReauthenticationRequired(
            f"Confirm your password first (POST /api/v1/auth/reauthenticate); it stays confirmed for {minutes} minutes."
        )


def ensure_can_sign_in(account: Account) -> None:
    if account.status is AccountStatus.DELETION_PENDING:
        raise Forbidden("This account is being deleted.", code="account_deletion_pending")


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    title = "Email not verified"


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Wrong email or password"


class WrongPassword(InvalidInput):
    """A signed-in owner's password check failed (re-authentication, email change): a bad
    field, not the end of the session."""

    code = "wrong_password"
    title = "The password is wrong"


class InvalidToken(InvalidInput):
    code = "invalid_token"
    title = "The link is invalid or has expired"


class ConsentRequired(InvalidInput):
    code = "consent_required"
    title = "Consent required"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "The email address is in use"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    title = "The API key lacks a scope"


class SessionRequired(Forbidden):
    code = "session_required"
    title = "A signed-in session is required"


class ReauthenticationRequired(Forbidden):
    code = "reauthentication_required"
    title = "Confirm your password"


class SignedInAsAnotherOwner(Forbidden):
    code = "signed_in_as_another_owner"
    title = "Another owner is signed in"


SEND_RESET_LINK_JOB = "accounts.send_reset_link"
SEND_VERIFICATION_LINK_JOB = "accounts.send_verification_link"
SEND_SIGN_UP_MAIL_JOB = "accounts.send_sign_up_mail"
