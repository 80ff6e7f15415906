"""The privacy store and the operational records in memory, with the Postgres semantics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from aioomi.adapters.local.policy_texts import policy_text
from aioomi.adapters.memory.billing import SYSTEM_ONLY
from aioomi.adapters.memory.tables import MemoryDatabase, Table
from aioomi.adapters.memory.workspaces import owner_analytics
from aioomi.domain.model.documents import document_of
from aioomi.domain.model.jobs import JobStatus
from aioomi.domain.model.privacy import (
    AuditEvent,
    DataExport,
    PolicyVersion,
    PrivacyState,
    RetentionRun,
    chat_cutoff,
)
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.model.workspace_state import request_log_swept

SEED_POLICY = PolicyVersion(
    version="2026-02-15",
    effective_on=date(2026, 2, 15),
    published_at=datetime(2026, 2, 15, tzinfo=UTC),
    summary="Initial policy.",
    notices_sent_at=datetime(2026, 2, 15, tzinfo=UTC),
    body=policy_text("2026-02-15"),
)
"""What migrations 0011 (the version) and 0014 (its text) seed."""

_KEEP_ON_ERASURE = frozenset({"billing_records", "policy_versions", "retention_runs"})
# The person's own tables (issue 21): what erasure removes when their workspace stays with
# another owner.
_PERSON_TABLES = frozenset(
    {
        "accounts",
        "owner_sessions",
        "one_time_tokens",
        "trusted_devices",
        "account_privacy",
        "privacy_audit_log",
        "data_exports",
        "workspace_members",
    }
)


def _mentions(row: Any, needle: str) -> bool:
    try:
        return needle.encode() in msgspec.json.encode(row)
    except TypeError:
        return needle in repr(row)


class InMemoryPrivacyStore:
    """:class:`aioomi.ports.privacy.PrivacyStore` on the memory tables of one unit of work."""

    def __init__(
        self, open_table: Callable[[str, Callable[[Any], str | None]], Table], database: MemoryDatabase
    ) -> None:
        self._open_table = open_table
        self._opened: dict[str, Table] = {}
        self._database = database
        database.table("policy_versions").setdefault(SEED_POLICY.version, SEED_POLICY)
        self._state: Table[PrivacyState] = self._open("account_privacy", lambda s: s.account_id)
        self._events: Table[AuditEvent] = self._open("privacy_audit_log", lambda e: e.account_id)
        self._exports: Table[DataExport] = self._open("data_exports", lambda e: e.account_id)
        self._retention: Table[Any] = self._open("agent_chat_retention", lambda r: r[0])
        self._policies: Table[PolicyVersion] = self._open("policy_versions", lambda p: None)
        self._runs: Table[RetentionRun] = self._open("retention_runs", lambda r: SYSTEM_ONLY)
        self._accounts: Table[Any] = self._open("accounts", lambda a: a.id)

    def _open(self, name: str, owner_of: Callable[[Any], str | None]) -> Table:
        """One working copy per table and unit of work, so later calls see earlier changes."""
        if name not in self._opened:
            self._opened[name] = self._open_table(name, owner_of)
        return self._opened[name]

    # -- state ----------------------------------------------------------------------------------
    async def get_state(self, account_id: str) -> PrivacyState | None:
        return self._state.get(account_id)

    async def save_state(self, state: PrivacyState) -> None:
        if state.cancel_token_hash is not None and any(
            s.cancel_token_hash == state.cancel_token_hash and s.account_id != state.account_id
            for s in self._state.values()
        ):
            raise ValueError("duplicate cancel token")
        self._state.put(state.account_id, state)

    async def find_by_cancel_token(self, token_hash: str) -> PrivacyState | None:
        return next((s for s in self._state.values() if s.cancel_token_hash == token_hash), None)

    async def due_for_purge(self, now: datetime, limit: int) -> list[str]:
        due = sorted(
            (s for s in self._state.values() if s.purge_after is not None and s.purge_after <= now),
            key=lambda s: s.purge_after or now,
        )  # every one has a purge_after (filtered above)
        found = []
        for state in due:
            account = self._accounts.get(state.account_id)
            if account is not None and str(account.status) == "deletion_pending":
                found.append(state.account_id)
        return found[:limit]

    async def analytics_opt_outs(self) -> list[str]:
        return await self._not_analysable(list(self._database.table("workspaces")))

    async def analytics_opt_outs_among(self, account_ids: Sequence[str]) -> set[str]:
        workspaces = self._database.table("workspaces")
        return set(await self._not_analysable([w for w in account_ids if w in workspaces]))

    async def _not_analysable(self, workspace_ids: list[str]) -> list[str]:
        return sorted(w for w in workspace_ids if request_log_swept(owner_analytics(self._database, w)))

    # -- audit ----------------------------------------------------------------------------------
    async def add_event(self, event: AuditEvent) -> None:
        self._events.put(event.id, event)

    async def list_events(self, account_id: str, limit: int) -> list[AuditEvent]:
        mine = [e for e in self._events.values() if e.account_id == account_id]
        return sorted(mine, key=lambda e: (e.at, e.id), reverse=True)[:limit]

    # -- exports --------------------------------------------------------------------------------
    async def add_export(self, export: DataExport) -> None:
        self._exports.put(export.id, export)

    async def get_export(self, account_id: str, export_id: str) -> DataExport | None:
        export = self._exports.get(export_id)
        return export if export is not None and export.account_id == account_id else None

    async def update_export(self, export: DataExport) -> None:
        if self._exports.get(export.id) is not None:
            self._exports.put(export.id, export)

    async def list_exports(self, account_id: str, limit: int) -> list[DataExport]:
        mine = [e for e in self._exports.values() if e.account_id == account_id]
        return sorted(mine, key=lambda e: (e.created_at, e.id), reverse=True)[:limit]

    async def find_export_by_link(self, link_hash: str, *, for_update: bool = False) -> DataExport | None:
        return next((e for e in self._exports.values() if e.link_hash == link_hash), None)

    async def expired_exports(self, now: datetime, limit: int) -> list[DataExport]:
        return sorted((e for e in self._exports.values() if e.expires_at <= now), key=lambda e: e.expires_at)[:limit]

    async def workspace_exports(self, workspace_id: str) -> list[DataExport]:
        return [e for e in self._exports.values() if e.workspace_id == workspace_id]

    async def delete_export(self, account_id: str, export_id: str) -> None:
        if (e := self._exports.get(export_id)) is not None and e.account_id == account_id:
            self._exports.delete(export_id)

    # -- chat retention -------------------------------------------------------------------------
    async def get_chat_retention(self, account_id: str, agent_id: str) -> int | None:
        row = self._retention.get(agent_id)
        return row[1] if row is not None and row[0] == account_id else None

    async def set_chat_retention(self, account_id: str, agent_id: str, days: int | None) -> None:
        if days is None:
            self._retention.delete(agent_id)
        else:
            self._retention.put(agent_id, (account_id, days))

    # -- policy versions ------------------------------------------------------------------------
    async def list_policy_versions(self) -> list[PolicyVersion]:
        return sorted(self._policies.values(), key=lambda p: p.effective_on)

    async def save_policy_version(self, version: PolicyVersion) -> None:
        self._policies.put(version.version, version)

    async def accounts_to_notify(self, after: str | None, limit: int) -> list[str]:
        ids = sorted(
            a.id for a in self._accounts.values() if str(a.status) != "deletion_pending" and a.id > (after or "")
        )
        return ids[:limit]

    # -- sweeps ---------------------------------------------------------------------------------
    async def sweep_chats(self, now: datetime, limit: int) -> int:
        groups = self._open("question_groups", lambda g: g.account_id)  # issue 19: not counted
        for group in [
            g
            for g in groups.values()
            if g.last_seen < chat_cutoff(now, (self._retention.get(g.agent_id) or (None, None))[1])
        ][:limit]:
            groups.delete(group.id)
        sessions = self._open("chat_sessions", lambda s: s.account_id)
        messages = self._open("chat_messages", lambda m: m.account_id)
        doomed = []
        for session in sessions.values():
            setting = self._retention.get(session.agent_id)
            if session.created_at < chat_cutoff(now, setting[1] if setting else None):
                doomed.append(session.id)
            if len(doomed) >= limit:
                break
        gone = set(doomed)
        for session_id in doomed:
            sessions.delete(session_id)
        for message in list(messages.values()):
            if message.session_id in gone:
                messages.delete(message.id)
        return len(doomed)

    async def _sweep(self, name: str, key: Callable[[Any], str], due: Callable[[Any], bool], limit: int) -> int:
        table = self._open(name, lambda r: None)
        doomed = [key(r) for r in table.values() if due(r)][:limit]
        for k in doomed:
            table.delete(k)
        return len(doomed)

    async def sweep_owner_sessions(self, ended_before: datetime, limit: int) -> int:
        return await self._sweep(
            "owner_sessions",
            lambda s: s.id,
            lambda s: s.expires_at < ended_before or (s.revoked_at is not None and s.revoked_at < ended_before),
            limit,
        )

    async def sweep_tokens(self, expired_before: datetime, limit: int) -> int:
        return await self._sweep("one_time_tokens", lambda t: t.id, lambda t: t.expires_at < expired_before, limit)

    async def sweep_pending_sign_ins(self, expired_before: datetime, limit: int) -> int:
        return await self._sweep(
            "pending_sign_ins", lambda p: p.state_hash, lambda p: p.expires_at < expired_before, limit
        )

    async def sweep_trusted_devices(self, expired_before: datetime, limit: int) -> int:
        return await self._sweep("trusted_devices", lambda d: d.id, lambda d: d.expires_at < expired_before, limit)

    async def erase_account(self, account_id: str) -> int:
        members = self._open("workspace_members", lambda r: None)
        owners: dict[str, set[str]] = {}
        for m in members.rows.values():
            if str(m.role) == "owner":
                owners.setdefault(m.workspace_id, set()).add(m.account_id)
        # The workspaces the person alone owns go with them (as on Postgres); one another owner
        # holds stays whole, only the person's own rows and memberships go.
        doomed = {w for w, people in owners.items() if people == {account_id}}
        removed = 0
        for name in list(self._database.tables):
            if name in _KEEP_ON_ERASURE:
                continue
            table = self._open(name, lambda r: None)
            for key, row in list(table.rows.items()):
                if name == "workspace_members":
                    gone = row.account_id == account_id or row.workspace_id in doomed
                elif name in ("audit_events", "workspace_invitations"):
                    gone = row.workspace_id in doomed
                elif name in _PERSON_TABLES:
                    gone = _mentions(row, account_id)
                else:
                    gone = any(_mentions(row, w) for w in doomed)
                if gone:
                    table.delete(key)
                    removed += 1
                elif name == "audit_events" and account_id in (row.actor_id, row.subject):
                    # another workspace keeps the event, not who the person was (as on Postgres)
                    table.put(
                        key,
                        msgspec.structs.replace(
                            row,
                            actor_id=None if row.actor_id == account_id else row.actor_id,
                            subject=None if row.subject == account_id else row.subject,
                        ),
                    )
                elif name == "workspace_invitations" and row.invited_by == account_id:
                    table.put(key, msgspec.structs.replace(row, invited_by=None))
        return removed

    async def erase_workspace(self, workspace_id: str) -> int:
        def of_workspace(row: Any) -> bool:
            # The tenant key: ``workspace_id`` where a row has one (a membership's ``account_id``
            # is its person), else ``account_id`` (which holds the workspace id), else a mention.
            for key in ("workspace_id", "account_id"):
                if hasattr(row, key):
                    return bool(getattr(row, key) == workspace_id)
            return _mentions(row, workspace_id)

        removed = 0
        for name in list(self._database.tables):
            if name in _KEEP_ON_ERASURE or (
                name in _PERSON_TABLES and name not in ("workspace_members", "data_exports")
            ):
                continue
            table = self._open(name, lambda r: None)
            for key, row in list(table.rows.items()):
                if name == "workspaces":
                    gone = row.id == workspace_id
                elif name == "data_exports":  # the person's row, holding this workspace (as the foreign key cascades)
                    gone = row.workspace_id == workspace_id
                else:
                    gone = of_workspace(row)
                if name in ("stripe_events", "billing_runs"):
                    gone = _mentions(row, workspace_id)
                if gone:
                    table.delete(key)
                    removed += 1
        return removed

    # -- runs -----------------------------------------------------------------------------------
    async def add_run(self, run: RetentionRun) -> None:
        self._runs.put(run.id, run)

    async def list_runs(self, limit: int, kind: str | None = None) -> list[RetentionRun]:
        runs = [r for r in self._runs.values() if kind is None or r.kind == kind]
        return sorted(runs, key=lambda r: (r.finished_at, r.id), reverse=True)[:limit]

    async def purge_runs(self, before: datetime, limit: int) -> int:
        return await self._sweep("retention_runs", lambda r: r.id, lambda r: r.finished_at < before, limit)


class InMemoryOperationalRecords:
    """:class:`aioomi.ports.privacy.OperationalRecords` over the memory request log, job store,
    chunk store and documents table."""

    def __init__(self, request_log: Any, job_store: Any, chunk_store: Any, database: MemoryDatabase) -> None:
        self._log = request_log
        self._jobs = job_store
        self._chunks = chunk_store
        self._database = database
        self._locks: dict[str, asyncio.Lock] = {}

    async def purge_request_log(self, before: datetime, limit: int) -> int:
        entries: list[RequestLogEntry] = self._log.entries
        doomed = {id(e) for e in entries if e.occurred_at < before}
        doomed = set(list(doomed)[:limit])
        self._log.entries = [e for e in entries if id(e) not in doomed]
        return len(doomed)

    async def prepare_partitions(self, now: datetime, months_ahead: int) -> int:
        return 0  # process memory has no partitions

    async def anonymize_request_log(self, account_ids: Sequence[str]) -> int:
        wanted = set(account_ids)
        changed = 0
        for i, entry in enumerate(self._log.entries):
            if entry.account_id in wanted:
                self._log.entries[i] = msgspec.structs.replace(entry, account_id=None, ip=None)
                changed += 1
        return changed

    async def erase_account(self, account_id: str) -> int:
        before = len(self._log.entries)
        self._log.entries = [e for e in self._log.entries if e.account_id != account_id]
        removed = before - len(self._log.entries)
        async with self._chunks._lock:  # noqa: SLF001 - same package, the chunk store's own rows
            for key, row in list(self._chunks._rows.items()):  # noqa: SLF001 - the memory backend: erasure reaches the chunk store's rows as Postgres does by SQL
                if row.stored.account_id == account_id:
                    del self._chunks._rows[key]  # noqa: SLF001 - the memory backend: erasure reaches the chunk store's rows as Postgres does by SQL
                    removed += 1
        async with self._jobs._lock:  # noqa: SLF001 - the memory backend: erasure reaches the job store's rows as Postgres does by SQL
            for job_id, job in list(self._jobs._jobs.items()):  # noqa: SLF001 - the memory backend: erasure reaches the job store's rows as Postgres does by SQL
                if job.status is not JobStatus.RUNNING and _mentions(job.payload, account_id):
                    del self._jobs._jobs[job_id]  # noqa: SLF001 - the memory backend: erasure reaches the job store's rows as Postgres does by SQL
                    removed += 1
        return removed

    async def knowledge_orphans(self, limit: int) -> list[tuple[str, str, str]]:
        documents = self._database.table("documents")
        found = {
            (row.stored.account_id, row.stored.agent_id, row.stored.document_id)
            for row in self._chunks._rows.values()  # noqa: SLF001 - the memory backend: erasure reaches the chunk store's rows as Postgres does by SQL
            if document_of(row.stored.document_id) not in documents
        }
        return sorted(found)[:limit]

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True
