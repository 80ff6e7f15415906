"""Privacy: the owner's rights (GDPR Arts. 15–21), retention periods, policy versions.

Pure values and rules; the use cases in ``domain/usecases/privacy/``,
``retention.py`` and ``policy_versions.py`` apply them. Every period here is listed in
docs/privacy.md.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from aioomi.domain.model.errors import Conflict, Forbidden, InvalidInput

# --- retention ---------------------------------------------------------------------------------

CHAT_RETENTION_MONTHS = 12
"""Chat sessions and their messages: deleted 12 months after the session was created."""
MAX_AGENT_CHAT_DAYS = 365
"""An agent may keep its conversations for fewer days, never more (and never past 12 months)."""
REQUEST_LOG_RETENTION = timedelta(days=90)
"""API request log rows."""
ENDED_SESSION_RETENTION = timedelta(days=30)
"""Owner sessions, kept this long after they expired or were revoked (the sessions page)."""
TOKEN_RETENTION = timedelta(days=7)
"""One-time link tokens (verification, reset, email change), after they expired."""
PENDING_SIGN_IN_RETENTION = timedelta(days=1)
"""Pending Google sign-ins, after they expired (they live ten minutes)."""
EXPORT_RETENTION = timedelta(days=7)
"""Data exports (the archive file and its row), after they were requested."""
EXPORT_LINK_TTL = timedelta(minutes=30)
"""A download link of an export works this long."""
MAX_DELETION_GRACE = timedelta(days=30)
"""The policy: personal data removed within 30 days of the deletion request."""
DEFAULT_DELETION_GRACE_DAYS = 7
FRESH_SESSION = timedelta(minutes=10)
"""Re-authentication for an account without a password: a session opened this recently."""
POLICY_NOTICE_DAYS = 30
"""Material policy changes are announced at least this many days before they take effect."""
RETENTION_RUN_HISTORY = timedelta(days=400)
"""The sweep log itself (kinds and counts, no personal data)."""
DEFAULT_OUTBOX_RETENTION_DAYS = 7
"""E-mails kept in the outbox folder (no SMTP relay) this long, then removed."""
MAX_OUTBOX_RETENTION_DAYS = 90


class SweepKind(enum.StrEnum):
    CHATS = "chats"
    REQUEST_LOG = "request_log"
    OWNER_SESSIONS = "owner_sessions"
    TOKENS = "one_time_tokens"
    PENDING_SIGN_INS = "pending_sign_ins"
    TRUSTED_DEVICES = "trusted_devices"
    EXPORTS = "exports"
    KNOWLEDGE_ORPHANS = "knowledge_orphans"
    ANALYTICS_OPT_OUT = "analytics_opt_out"
    ACCOUNTS = "deleted_accounts"
    FINISHED_JOBS = "finished_jobs"
    BILLING_RECORDS = "billing_records"
    OUTBOX = "outbox"
    RUN_LOG = "retention_runs"


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def chat_cutoff(now: datetime, agent_days: int | None = None) -> datetime:
    """Sessions created before this instant are due for deletion: 12 months, or the agent's
    shorter setting."""
    cutoff = months_before(now, CHAT_RETENTION_MONTHS)
    if agent_days is not None:
        cutoff = max(cutoff, now - timedelta(days=agent_days))
    return cutoff


def check_chat_retention_days(days: int | None) -> int | None:
    if days is not None and not 1 <= days <= MAX_AGENT_CHAT_DAYS:
        raise InvalidInput(
            f"Keep conversations between 1 and {MAX_AGENT_CHAT_DAYS} days, or unset it for 12 months.",
            code="invalid_chat_retention",
            field="days",
        )
    return days


class InvalidDeletionGrace(InvalidInput):
    code = "invalid_deletion_grace"
    title = "The deletion grace period is out of bounds"


def check_deletion_grace(grace: timedelta) -> timedelta:
    """The grace period between an erasure request and the purge: 0 to 30 days (the policy:
    personal data removed within 30 days). Anything else is refused, never clamped."""
    if not timedelta(0) <= grace <= MAX_DELETION_GRACE:
        raise InvalidDeletionGrace(
            f"The deletion grace period must be between 0 and {MAX_DELETION_GRACE.days} days.",
            field="account_deletion_grace_days",
        )
    return grace


def deletion_grace(days: int) -> timedelta:
    """The configured grace period in days (see :func:`check_deletion_grace`)."""
    return check_deletion_grace(timedelta(days=days))


def outbox_retention(days: int) -> timedelta:
    """How long the outbox folder keeps an e-mail: 1 to 90 days."""
    if not 1 <= days <= MAX_OUTBOX_RETENTION_DAYS:
        raise InvalidInput(
            f"Keep outbox e-mails between 1 and {MAX_OUTBOX_RETENTION_DAYS} days.",
            code="invalid_outbox_retention",
            field="outbox_retention_days",
        )
    return timedelta(days=days)


# --- the owner's privacy state -----------------------------------------------------------------


class PrivacyState(msgspec.Struct, frozen=True, kw_only=True):
    """What the owner chose: restriction (Art. 18), objection (Art. 21), a pending erasure."""

    account_id: str
    restricted_at: datetime | None = None
    objected_at: datetime | None = None
    deletion_requested_at: datetime | None = None
    purge_after: datetime | None = None
    cancel_token_hash: str | None = None
    status_before_deletion: str | None = None


class RightsAction(enum.StrEnum):
    EXPORT_REQUESTED = "export_requested"
    EXPORT_READY = "export_ready"
    EXPORT_DOWNLOADED = "export_downloaded"
    PROFILE_UPDATED = "profile_updated"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    DELETION_REQUESTED = "deletion_requested"
    DELETION_CANCELLED = "deletion_cancelled"
    RESTRICTED = "processing_restricted"
    RESTRICTION_LIFTED = "restriction_lifted"
    OBJECTED = "objected"
    OBJECTION_WITHDRAWN = "objection_withdrawn"
    POLICY_ACCEPTED = "policy_accepted"
    VISITOR_EXPORTED = "visitor_data_exported"
    VISITOR_DELETED = "visitor_data_deleted"
    CHAT_RETENTION_SET = "chat_retention_set"
    WORKSPACE_DELETED = "workspace_deleted"
    WORKSPACE_EXPORT_REQUESTED = "workspace_export_requested"


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    account_id: str
    action: str
    at: datetime
    detail: dict[str, Any] = {}


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"


class DataExport(msgspec.Struct, frozen=True, kw_only=True):
    """An archive of everything held about the person (access and portability), or of one
    workspace's data for one of its owners."""

    id: str
    account_id: str
    status: ExportStatus
    created_at: datetime
    expires_at: datetime
    ready_at: datetime | None = None
    blob_key: str | None = None
    size_bytes: int | None = None
    link_hash: str | None = None
    link_expires_at: datetime | None = None
    error: str | None = None
    workspace_id: str | None = None
    """``None``: the person's own export (their account); else the workspace this export holds
    (asked for by one of its owners, who downloads it)."""


def export_blob_key(account_id: str, export_id: str) -> str:
    """Under the account's folder, so erasure's ``delete_prefix`` takes it too."""
    return f"{account_id}/exports/{export_id}.zip"


MAX_POLICY_TEXT = 200_000
"""Characters of a policy's Markdown text."""


class PolicyVersion(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    effective_on: date
    published_at: datetime
    summary: str = ""
    body: str = ""
    """The policy's full text, Markdown (what ``/privacy`` renders)."""
    notices_sent_at: datetime | None = None
    notices_sent: int = 0
    notices_after: str | None = None


def policy_in_force(versions: list[PolicyVersion], today: date) -> PolicyVersion | None:
    """The latest version whose effective date has come."""
    current = [v for v in versions if v.effective_on <= today]
    return max(current, key=lambda v: v.effective_on) if current else None


def policy_upcoming(versions: list[PolicyVersion], today: date) -> PolicyVersion | None:
    """The next version announced and not yet in force (the 30-day notice period)."""
    later = [v for v in versions if v.effective_on > today]
    return min(later, key=lambda v: v.effective_on) if later else None


def check_policy_text(body: str) -> str:
    if not body.strip() or len(body) > MAX_POLICY_TEXT:
        raise InvalidInput(
            f"The policy text must be 1 to {MAX_POLICY_TEXT:,} characters.", code="invalid_policy_text", field="text"
        )
    return body


def check_policy_publication(effective_on: date, today: date, existing: list[PolicyVersion]) -> None:
    """A material change takes effect at least 30 days after it is published, and after
    every version already published."""
    if effective_on < today + timedelta(days=POLICY_NOTICE_DAYS):
        raise InvalidInput(
            f"A new policy takes effect at least {POLICY_NOTICE_DAYS} days after it is announced: "
            f"choose {today + timedelta(days=POLICY_NOTICE_DAYS)} or later.",
            code="policy_notice_too_short",
            field="effective",
        )
    if any(v.effective_on >= effective_on for v in existing):
        raise Conflict("A version with that or a later effective date exists.", code="policy_version_exists")


class RetentionRun(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    started_at: datetime
    finished_at: datetime
    removed: int
    detail: dict[str, Any] = {}


# --- errors ------------------------------------------------------------------------------------


class ReauthenticationRequired(Forbidden):
    code = "reauthentication_required"
    title = "Confirm it is you"


class AccountRestricted(Forbidden):
    code = "account_restricted"
    title = "Processing is restricted"


class ExportNotReady(Conflict):
    code = "export_not_ready"
    title = "The export is not ready"
