"""The privacy store on Postgres (on the unit of work's connection, so its tenant scope
applies) and the operational records (request log, jobs, chunks) on the pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.adapters.postgres.repository import PostgresRepository, params_of, placeholders
from aioomi.adapters.postgres.workspaces import PostgresWorkspaceRepository
from aioomi.domain.model.privacy import (
    CHAT_RETENTION_MONTHS,
    AuditEvent,
    DataExport,
    PolicyVersion,
    PrivacyState,
    RetentionRun,
    months_before,
)

_STATE = (
    "account_id, restricted_at, objected_at, deletion_requested_at, purge_after, cancel_token_hash, "
    "status_before_deletion"
)
_EXPORT = (
    "id, account_id, status, created_at, ready_at, expires_at, blob_key, size_bytes, link_hash, link_expires_at, error, "
    "workspace_id"
)
_POLICY = "version, effective_on, published_at, summary, body, notices_sent_at, notices_sent, notices_after"
_RUN = "id, kind, started_at, finished_at, removed, detail"


def _updates(columns: str, key: str) -> str:
    return ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in columns.split(",") if c.strip() != key)


# A workspace whose request log the sweep anonymises (``request_log_swept`` in
# domain/model/workspace_state.py): no owner is active with neither an objection nor a
# restriction (the request log's insert applies the same rule), and not every owner is being
# erased (the purge deletes those entries by the workspace's id).
_NOT_ANALYSABLE = """NOT EXISTS (
    SELECT 1 FROM workspace_members m JOIN accounts a ON a.id = m.account_id
    WHERE m.workspace_id = w.id AND m.role = 'owner' AND a.status = 'active'
      AND NOT EXISTS (SELECT 1 FROM account_privacy p WHERE p.account_id = a.id
                      AND (p.objected_at IS NOT NULL OR p.restricted_at IS NOT NULL)))
AND EXISTS (
    SELECT 1 FROM workspace_members m JOIN accounts a ON a.id = m.account_id
    WHERE m.workspace_id = w.id AND m.role = 'owner' AND a.status <> 'deletion_pending')"""


class PostgresPrivacyStore(PostgresRepository):
    """:class:`aioomi.ports.privacy.PrivacyStore` on the privacy tables."""

    # -- state ----------------------------------------------------------------------------------
    async def get_state(self, account_id: str) -> PrivacyState | None:
        rows = await self._rows(f"SELECT {_STATE} FROM account_privacy WHERE account_id = %s", (account_id,))
        return msgspec.convert(rows[0], PrivacyState) if rows else None

    async def save_state(self, state: PrivacyState) -> None:
        await self._execute(
            f"INSERT INTO account_privacy ({_STATE}) VALUES ({placeholders(_STATE)}) "
            f"ON CONFLICT (account_id) DO UPDATE SET {_updates(_STATE, 'account_id')}",
            params_of(state),
        )

    async def find_by_cancel_token(self, token_hash: str) -> PrivacyState | None:
        rows = await self._rows(f"SELECT {_STATE} FROM account_privacy WHERE cancel_token_hash = %s", (token_hash,))
        return msgspec.convert(rows[0], PrivacyState) if rows else None

    async def due_for_purge(self, now: datetime, limit: int) -> list[str]:
        rows = await self._rows(
            "SELECT p.account_id FROM account_privacy p JOIN accounts a ON a.id = p.account_id "
            "WHERE p.purge_after <= %s AND a.status = 'deletion_pending' ORDER BY p.purge_after LIMIT %s",
            (now, limit),
        )
        return [r["account_id"] for r in rows]

    async def analytics_opt_outs(self) -> list[str]:
        rows = await self._rows(f"SELECT w.id FROM workspaces w WHERE {_NOT_ANALYSABLE} ORDER BY w.id")
        return [r["id"] for r in rows]

    async def analytics_opt_outs_among(self, account_ids: Sequence[str]) -> set[str]:
        if not account_ids:
            return set()
        rows = await self._rows(
            f"SELECT w.id FROM workspaces w WHERE w.id = ANY(%s) AND {_NOT_ANALYSABLE}", (list(account_ids),)
        )
        return {r["id"] for r in rows}

    # -- audit ----------------------------------------------------------------------------------
    async def add_event(self, event: AuditEvent) -> None:
        await self._execute(
            "INSERT INTO privacy_audit_log (id, account_id, action, at, detail) VALUES (%s, %s, %s, %s, %s)",
            (event.id, event.account_id, event.action, event.at, Jsonb(event.detail)),
        )

    async def list_events(self, account_id: str, limit: int) -> list[AuditEvent]:
        rows = await self._rows(
            "SELECT id, account_id, action, at, detail FROM privacy_audit_log WHERE account_id = %s "
            "ORDER BY at DESC, id DESC LIMIT %s",
            (account_id, limit),
        )
        return [msgspec.convert(r, AuditEvent) for r in rows]

    # -- exports --------------------------------------------------------------------------------
    async def add_export(self, export: DataExport) -> None:
        await self._execute(f"INSERT INTO data_exports ({_EXPORT}) VALUES ({placeholders(_EXPORT)})", params_of(export))

    async def get_export(self, account_id: str, export_id: str) -> DataExport | None:
        rows = await self._rows(
            f"SELECT {_EXPORT} FROM data_exports WHERE account_id = %s AND id = %s", (account_id, export_id)
        )
        return msgspec.convert(rows[0], DataExport) if rows else None

    async def update_export(self, export: DataExport) -> None:
        sets = ", ".join(f"{c.strip()} = %({c.strip()})s" for c in _EXPORT.split(",") if c.strip() != "id")
        await self._execute(f"UPDATE data_exports SET {sets} WHERE id = %(id)s", params_of(export))

    async def list_exports(self, account_id: str, limit: int) -> list[DataExport]:
        rows = await self._rows(
            f"SELECT {_EXPORT} FROM data_exports WHERE account_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
            (account_id, limit),
        )
        return [msgspec.convert(r, DataExport) for r in rows]

    async def find_export_by_link(self, link_hash: str, *, for_update: bool = False) -> DataExport | None:
        lock = " FOR UPDATE" if for_update else ""
        rows = await self._rows(f"SELECT {_EXPORT} FROM data_exports WHERE link_hash = %s{lock}", (link_hash,))
        return msgspec.convert(rows[0], DataExport) if rows else None

    async def expired_exports(self, now: datetime, limit: int) -> list[DataExport]:
        rows = await self._rows(
            f"SELECT {_EXPORT} FROM data_exports WHERE expires_at <= %s ORDER BY expires_at LIMIT %s "
            "FOR UPDATE SKIP LOCKED",
            (now, limit),
        )
        return [msgspec.convert(r, DataExport) for r in rows]

    async def workspace_exports(self, workspace_id: str) -> list[DataExport]:
        rows = await self._rows(f"SELECT {_EXPORT} FROM data_exports WHERE workspace_id = %s", (workspace_id,))
        return [msgspec.convert(r, DataExport) for r in rows]

    async def delete_export(self, account_id: str, export_id: str) -> None:
        await self._execute("DELETE FROM data_exports WHERE account_id = %s AND id = %s", (account_id, export_id))

    # -- chat retention -------------------------------------------------------------------------
    async def get_chat_retention(self, account_id: str, agent_id: str) -> int | None:
        rows = await self._rows(
            "SELECT days FROM agent_chat_retention WHERE account_id = %s AND agent_id = %s", (account_id, agent_id)
        )
        return int(rows[0]["days"]) if rows else None

    async def set_chat_retention(self, account_id: str, agent_id: str, days: int | None) -> None:
        if days is None:
            await self._execute(
                "DELETE FROM agent_chat_retention WHERE account_id = %s AND agent_id = %s", (account_id, agent_id)
            )
            return
        await self._execute(
            "INSERT INTO agent_chat_retention (agent_id, account_id, days) VALUES (%s, %s, %s) "
            "ON CONFLICT (agent_id) DO UPDATE SET days = EXCLUDED.days",
            (agent_id, account_id, days),
        )

    # -- policy versions ------------------------------------------------------------------------
    async def list_policy_versions(self) -> list[PolicyVersion]:
        rows = await self._rows(f"SELECT {_POLICY} FROM policy_versions ORDER BY effective_on")
        return [msgspec.convert(r, PolicyVersion) for r in rows]

    async def save_policy_version(self, version: PolicyVersion) -> None:
        await self._execute(
            f"INSERT INTO policy_versions ({_POLICY}) VALUES ({placeholders(_POLICY)}) "
            f"ON CONFLICT (version) DO UPDATE SET {_updates(_POLICY, 'version')}",
            params_of(version),
        )

    async def accounts_to_notify(self, after: str | None, limit: int) -> list[str]:
        rows = await self._rows(
            "SELECT id FROM accounts WHERE status <> 'deletion_pending' AND id > %s ORDER BY id LIMIT %s",
            (after or "", limit),
        )
        return [r["id"] for r in rows]

    # -- sweeps ---------------------------------------------------------------------------------
    async def sweep_chats(self, now: datetime, limit: int) -> int:
        # Question groups (issue 19) hold visitors' phrasings: they go once their last question
        # is past the agent's chat cutoff (not counted in the result, which counts sessions).
        await self._execute(
            "DELETE FROM question_groups WHERE id IN ("
            " SELECT g.id FROM question_groups g LEFT JOIN agent_chat_retention r ON r.agent_id = g.agent_id"
            " WHERE g.last_seen < greatest(%(cutoff)s, %(now)s - make_interval(days => r.days))"
            " LIMIT %(limit)s FOR UPDATE OF g SKIP LOCKED)",
            {"cutoff": months_before(now, CHAT_RETENTION_MONTHS), "now": now, "limit": limit},
        )
        # The months of sessions wholly before the 12-month cutoff are past every agent's cutoff
        # (an agent may only shorten it): their messages go as whole partitions (migration 0051;
        # a partition whose lock is busy is left to the cascade). The sessions, with whatever
        # messages remain (the cutoff's month, shorter retention), are then deleted in batches.
        await self._execute(
            "SELECT aioomi_drop_month_partitions('chat_messages', %s)", (months_before(now, CHAT_RETENTION_MONTHS),)
        )
        # greatest() ignores NULL: agents without a setting keep the policy's 12 months.
        return await self._execute(
            "DELETE FROM chat_sessions WHERE id IN ("
            " SELECT s.id FROM chat_sessions s LEFT JOIN agent_chat_retention r ON r.agent_id = s.agent_id"
            " WHERE s.created_at < greatest(%(cutoff)s, %(now)s - make_interval(days => r.days))"
            " LIMIT %(limit)s FOR UPDATE OF s SKIP LOCKED)",
            {"cutoff": months_before(now, CHAT_RETENTION_MONTHS), "now": now, "limit": limit},
        )

    async def sweep_owner_sessions(self, ended_before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM owner_sessions WHERE id IN (SELECT id FROM owner_sessions WHERE expires_at < %(t)s "
            "OR revoked_at < %(t)s LIMIT %(limit)s FOR UPDATE SKIP LOCKED)",
            {"t": ended_before, "limit": limit},
        )

    async def sweep_tokens(self, expired_before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM one_time_tokens WHERE id IN (SELECT id FROM one_time_tokens WHERE expires_at < %s "
            "LIMIT %s FOR UPDATE SKIP LOCKED)",
            (expired_before, limit),
        )

    async def sweep_pending_sign_ins(self, expired_before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM pending_sign_ins WHERE state_hash IN (SELECT state_hash FROM pending_sign_ins "
            "WHERE expires_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)",
            (expired_before, limit),
        )

    async def sweep_trusted_devices(self, expired_before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM trusted_devices WHERE id IN (SELECT id FROM trusted_devices "
            "WHERE expires_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)",
            (expired_before, limit),
        )

    async def erase_workspace(self, workspace_id: str) -> int:
        customers = [
            r["customer_id"]
            for r in await self._rows(
                "SELECT customer_id FROM billing_accounts WHERE account_id = %s AND customer_id IS NOT NULL",
                (workspace_id,),
            )
        ]
        needles = [f"%{n}%" for n in [workspace_id, *customers]]
        removed = await self._execute("DELETE FROM stripe_events WHERE data::text LIKE ANY (%s)", (needles,))
        removed += await self._execute("DELETE FROM billing_runs WHERE summary::text LIKE ANY (%s)", (needles,))
        return removed + await self._execute("DELETE FROM workspaces WHERE id = %s", (workspace_id,))

    async def erase_account(self, account_id: str) -> int:
        customers = [
            r["customer_id"]
            for r in await self._rows(
                "SELECT customer_id FROM billing_accounts WHERE account_id = %s AND customer_id IS NOT NULL",
                (account_id,),
            )
        ]
        needles = [f"%{n}%" for n in [account_id, *customers]]
        removed = await self._execute("DELETE FROM stripe_events WHERE data::text LIKE ANY (%s)", (needles,))
        removed += await self._execute("DELETE FROM billing_runs WHERE summary::text LIKE ANY (%s)", (needles,))
        # The workspaces the person alone owns go with them (their data cascades from the
        # workspace); a workspace someone else also owns stays, only the membership goes.
        removed += await self._execute(
            "DELETE FROM workspaces w WHERE EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id "
            "AND m.account_id = %(a)s AND m.role = 'owner') AND NOT EXISTS (SELECT 1 FROM workspace_members o "
            "WHERE o.workspace_id = w.id AND o.role = 'owner' AND o.account_id <> %(a)s)",
            {"a": account_id},
        )
        removed += await self._execute("DELETE FROM accounts WHERE id = %s", (account_id,))
        # Other workspaces' audit logs and invitations keep the event, not who the person was.
        removed += await PostgresWorkspaceRepository(self._conn).erase_actor(account_id)
        return removed

    # -- runs -----------------------------------------------------------------------------------
    async def add_run(self, run: RetentionRun) -> None:
        await self._execute(f"INSERT INTO retention_runs ({_RUN}) VALUES ({placeholders(_RUN)})", params_of(run))

    async def list_runs(self, limit: int, kind: str | None = None) -> list[RetentionRun]:
        rows = await self._rows(
            f"SELECT {_RUN} FROM retention_runs WHERE %(kind)s::text IS NULL OR kind = %(kind)s "
            "ORDER BY finished_at DESC, id DESC LIMIT %(limit)s",
            {"kind": kind, "limit": limit},
        )
        return [msgspec.convert(r, RetentionRun) for r in rows]

    async def purge_runs(self, before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM retention_runs WHERE id IN (SELECT id FROM retention_runs WHERE finished_at < %s LIMIT %s)",
            (before, limit),
        )


_PARTITIONED_BY_MONTH = ("api_request_log", "chat_messages")  # migrations 0048, 0051
_LOCK_NAMESPACE = 0x41494F  # "AIO": keeps our advisory locks apart from other users of the database


class PostgresOperationalRecords:
    """:class:`aioomi.ports.privacy.OperationalRecords` on the pool, in the system scope."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def _execute(self, query: str, params: Any = None) -> int:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                return (await conn.execute(query, params)).rowcount

    async def _scalar(self, query: str, params: Any) -> int:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                row = await (await conn.execute(query, params)).fetchone()
                return int(row[0]) if row else 0

    async def prepare_partitions(self, now: datetime, months_ahead: int) -> int:
        # Migration 0048's SECURITY DEFINER function (the app role may not create tables); each
        # table in a transaction of its own.
        created = 0
        for table in _PARTITIONED_BY_MONTH:
            created += await self._scalar(
                "SELECT aioomi_prepare_month_partitions(%s::regclass, %s, %s)", (table, now, months_ahead)
            )
        return created

    async def purge_request_log(self, before: datetime, limit: int) -> int:
        # The months wholly before the cutoff go as whole partitions (a DROP each, their rows
        # counted); the month the cutoff falls in (and the DEFAULT partition, and a partition
        # whose lock was busy) in batches.
        dropped = await self._scalar("SELECT aioomi_drop_month_partitions('api_request_log', %s)", (before,))
        return dropped + await self._execute(
            "DELETE FROM api_request_log WHERE id IN (SELECT id FROM api_request_log WHERE occurred_at < %s "
            "ORDER BY occurred_at LIMIT %s FOR UPDATE SKIP LOCKED)",
            (before, limit),
        )

    async def anonymize_request_log(self, account_ids: Sequence[str]) -> int:
        if not account_ids:
            return 0
        return await self._execute(
            "UPDATE api_request_log SET account_id = NULL, ip = NULL WHERE account_id = ANY(%s)", (list(account_ids),)
        )

    async def erase_account(self, account_id: str) -> int:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                removed = 0
                for query in (
                    "DELETE FROM api_request_log WHERE account_id = %(a)s",
                    "DELETE FROM source_pages WHERE account_id = %(a)s",
                    "DELETE FROM qa_pairs WHERE account_id = %(a)s",
                    "DELETE FROM source_runs WHERE account_id = %(a)s",
                    "DELETE FROM knowledge_sources WHERE account_id = %(a)s",
                    "DELETE FROM knowledge_postings WHERE account_id = %(a)s",
                    "DELETE FROM knowledge_chunks WHERE account_id = %(a)s",
                    "DELETE FROM knowledge_index_stats WHERE account_id = %(a)s",
                    "DELETE FROM knowledge_term_stats WHERE account_id = %(a)s",
                    "DELETE FROM jobs WHERE status <> 'running' AND payload::text LIKE %(like)s",
                ):
                    removed += (await conn.execute(query, {"a": account_id, "like": f"%{account_id}%"})).rowcount
                return removed

    async def knowledge_orphans(self, limit: int) -> list[tuple[str, str, str]]:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                cur = await conn.execute(
                    "SELECT DISTINCT c.account_id, c.agent_id, c.document_id FROM knowledge_chunks c "
                    "WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = split_part(c.document_id, '/', 1)) "
                    "LIMIT %s",
                    (limit,),
                )
                return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        with translated_errors():
            async with self._pool.connection() as conn:
                row = await (
                    await conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (_LOCK_NAMESPACE, name))
                ).fetchone()
                taken = bool(row and row[0])
                try:
                    yield taken
                finally:
                    if taken:
                        await conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_NAMESPACE, name))
