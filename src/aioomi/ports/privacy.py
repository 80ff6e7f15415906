"""Privacy stores: the owner's privacy state, the audit log of rights actions, data exports,
per-agent chat retention, policy versions and the retention sweeps (on the unit of work), and
the operational records kept outside tenant tables (request log, job queue, chunk store)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from aioomi.domain.model.privacy import AuditEvent, DataExport, PolicyVersion, PrivacyState, RetentionRun


class PrivacyStore(Protocol):
    """Inside a unit of work. Account-scoped calls name the account; the sweep, erasure,
    look-up-by-token and policy-writing calls run in the system scope."""

    # -- the owner's choices ------------------------------------------------------------------
    async def get_state(self, account_id: str) -> PrivacyState | None: ...

    async def save_state(self, state: PrivacyState) -> None:
        """Insert or replace the account's privacy state."""
        ...

    async def find_by_cancel_token(self, token_hash: str) -> PrivacyState | None: ...

    async def due_for_purge(self, now: datetime, limit: int) -> list[str]:
        """Accounts whose erasure grace period ended at or before ``now``."""
        ...

    async def analytics_opt_outs(self) -> list[str]:
        """Workspaces whose written request log the sweep anonymises: none of their owners is
        active with neither an objection nor a restriction, and not every owner is being erased
        (:func:`~aioomi.domain.model.workspace_state.request_log_swept`; system scope)."""
        ...

    async def analytics_opt_outs_among(self, account_ids: Sequence[str]) -> set[str]:
        """Those of the workspaces ``account_ids`` (existing ones) that :meth:`analytics_opt_outs`
        would name (system scope)."""
        ...

    # -- audit log ----------------------------------------------------------------------------
    async def add_event(self, event: AuditEvent) -> None: ...

    async def list_events(self, account_id: str, limit: int) -> list[AuditEvent]:
        """Newest first."""
        ...

    # -- exports ------------------------------------------------------------------------------
    async def add_export(self, export: DataExport) -> None: ...

    async def get_export(self, account_id: str, export_id: str) -> DataExport | None: ...

    async def update_export(self, export: DataExport) -> None: ...

    async def list_exports(self, account_id: str, limit: int) -> list[DataExport]: ...

    async def find_export_by_link(self, link_hash: str, *, for_update: bool = False) -> DataExport | None: ...

    async def expired_exports(self, now: datetime, limit: int) -> list[DataExport]: ...

    async def workspace_exports(self, workspace_id: str) -> list[DataExport]:
        """Every export holding the workspace, whoever asked for it (system scope: the purge
        removes their files before the rows cascade)."""
        ...

    async def delete_export(self, account_id: str, export_id: str) -> None: ...

    # -- chat retention per agent -------------------------------------------------------------
    async def get_chat_retention(self, account_id: str, agent_id: str) -> int | None: ...

    async def set_chat_retention(self, account_id: str, agent_id: str, days: int | None) -> None: ...

    # -- policy versions ----------------------------------------------------------------------
    async def list_policy_versions(self) -> list[PolicyVersion]:
        """Oldest first."""
        ...

    async def save_policy_version(self, version: PolicyVersion) -> None:
        """Insert or replace (system scope)."""
        ...

    async def accounts_to_notify(self, after: str | None, limit: int) -> list[str]:
        """Ids of accounts not being deleted, in order, after ``after`` (system scope)."""
        ...

    # -- sweeps: one bounded batch each, system scope -----------------------------------------
    async def sweep_chats(self, now: datetime, limit: int) -> int:
        """Delete up to ``limit`` chat sessions (with their messages) created before their
        cutoff (:func:`~aioomi.domain.model.privacy.chat_cutoff`, per the agent's setting)."""
        ...

    async def sweep_owner_sessions(self, ended_before: datetime, limit: int) -> int:
        """Sessions expired or revoked before the instant."""
        ...

    async def sweep_tokens(self, expired_before: datetime, limit: int) -> int: ...

    async def sweep_pending_sign_ins(self, expired_before: datetime, limit: int) -> int: ...

    async def sweep_trusted_devices(self, expired_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` trusted devices (device cookies) that expired before
        ``expired_before``; return how many went."""
        ...

    async def erase_account(self, account_id: str) -> int:
        """Delete the account and every row that names it, except billing records (detach them
        first), with the workspaces the person alone owns (and their data); a workspace that has
        another owner keeps its data and loses only this member. Return how many rows went."""
        ...

    async def erase_workspace(self, workspace_id: str) -> int:
        """Delete the workspace and every row of it (its data cascades: agents, knowledge,
        conversations, leads, usage, billing state, API keys, webhooks, members, invitations,
        its audit log, exports of it), the Stripe events and billing runs naming it or its
        customer; billing records stay (detach them first). Return how many rows went."""
        ...

    # -- the sweep log ------------------------------------------------------------------------
    async def add_run(self, run: RetentionRun) -> None: ...

    async def list_runs(self, limit: int, kind: str | None = None) -> list[RetentionRun]:
        """Newest first."""
        ...

    async def purge_runs(self, before: datetime, limit: int) -> int: ...


class OperationalRecords(Protocol):
    """Records kept outside the tenant tables, across tenants: the API request log, the job
    queue, the chunk store's keys. Also the lock that lets one sweep of a kind run at a time."""

    async def purge_request_log(self, before: datetime, limit: int) -> int:
        """Remove the request log's rows before ``before``: whole month partitions wholly before
        it where the store has them, then at most ``limit`` rows; how many rows went."""
        ...

    async def prepare_partitions(self, now: datetime, months_ahead: int) -> int:
        """Create the month partitions of the partitioned tables for ``now``'s month and the
        ``months_ahead`` months after it, where missing; how many were created (0 for a store
        without partitions)."""
        ...

    async def anonymize_request_log(self, account_ids: Sequence[str]) -> int:
        """Drop the account and IP of those accounts' logged requests."""
        ...

    async def erase_account(self, account_id: str) -> int:
        """Delete the account's request-log rows, its chunks and embeddings, and queued or
        finished jobs whose payload names it."""
        ...

    async def knowledge_orphans(self, limit: int) -> list[tuple[str, str, str]]:
        """(account, agent, chunk key) of chunks whose document no longer exists."""
        ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Hold the named lock for the block if no one else does (yields whether it was taken)."""
        ...


class KeptMail(Protocol):
    """E-mails kept after they were handed over: the outbox folder, when no SMTP relay is set
    (a relay keeps nothing here, and has no such store)."""

    async def purge_sent_before(self, before: datetime) -> int:
        """Remove the e-mails sent before the instant; return how many went."""
        ...

    async def purge_addressed_to(self, address: str) -> int:
        """Remove every e-mail addressed to ``address`` (case-insensitive); return how many went."""
        ...
