"""Lead forms and leads on Postgres, on the unit of work's connection (its transaction and
row-level security apply); every query also filters by account itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.leads import Lead, LeadForm

_LEAD = 'id, account_id, agent_id, session_id, visitor_id, "values", consent_text, privacy_url, created_at'


def _lead(row: dict[str, Any]) -> Lead:
    return msgspec.convert(row, Lead)


def _form(row: dict[str, Any]) -> LeadForm:
    return msgspec.convert(
        row["settings"]
        | {"account_id": row["account_id"], "agent_id": row["agent_id"], "updated_at": row["updated_at"]},
        LeadForm,
    )


class PostgresLeadStore(PostgresRepository):
    """:class:`aioomi.ports.leads.LeadStore` on Postgres."""

    async def get_form(self, account_id: str, agent_id: str) -> LeadForm | None:
        row = await self._row(
            "SELECT agent_id, account_id, settings, updated_at FROM agent_lead_forms "
            "WHERE account_id = %s AND agent_id = %s",
            (account_id, agent_id),
        )
        return _form(row) if row else None

    async def save_form(self, form: LeadForm) -> None:
        settings = msgspec.to_builtins(form)
        for key in ("account_id", "agent_id", "updated_at"):
            settings.pop(key, None)
        await self._execute(
            "INSERT INTO agent_lead_forms (agent_id, account_id, settings, updated_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (agent_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at "
            "WHERE agent_lead_forms.account_id = EXCLUDED.account_id",
            (form.agent_id, form.account_id, Jsonb(settings), form.updated_at),
        )

    async def add_lead(self, lead: Lead) -> None:
        await self._execute(
            f"INSERT INTO leads ({_LEAD}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                lead.id,
                lead.account_id,
                lead.agent_id,
                lead.session_id,
                lead.visitor_id,
                Jsonb(lead.values),
                lead.consent_text,
                lead.privacy_url,
                lead.created_at,
            ),
        )

    async def get_lead(self, account_id: str, lead_id: str) -> Lead | None:
        row = await self._row(f"SELECT {_LEAD} FROM leads WHERE account_id = %s AND id = %s", (account_id, lead_id))
        return _lead(row) if row else None

    async def list_leads(
        self,
        account_id: str,
        *,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
        limit: int = 1000,
    ) -> list[Lead]:
        rows = await self._rows(
            f"SELECT {_LEAD} FROM leads WHERE account_id = %(a)s "
            "AND (%(agent)s::text IS NULL OR agent_id = %(agent)s) "
            "AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s) "
            "AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s) "
            'AND (%(q)s::text IS NULL OR EXISTS (SELECT 1 FROM jsonb_each_text("values") v '
            "     WHERE strpos(lower(v.value), lower(%(q)s)) > 0)) "
            "ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
            {"a": account_id, "agent": agent_id, "since": since, "until": until, "q": search, "limit": limit},
        )
        return [_lead(r) for r in rows]

    async def delete_lead(self, account_id: str, lead_id: str) -> bool:
        return await self._execute("DELETE FROM leads WHERE account_id = %s AND id = %s", (account_id, lead_id)) > 0

    async def list_for_visitor(self, account_id: str, visitor_id: str) -> list[Lead]:
        rows = await self._rows(
            f"SELECT {_LEAD} FROM leads WHERE account_id = %s AND visitor_id = %s ORDER BY created_at, id",
            (account_id, visitor_id),
        )
        return [_lead(r) for r in rows]

    async def delete_for_visitor(self, account_id: str, visitor_id: str) -> int:
        return await self._execute(
            "DELETE FROM leads WHERE account_id = %s AND visitor_id = %s", (account_id, visitor_id)
        )

    async def forms_of_all_accounts(self) -> list[LeadForm]:
        rows = await self._rows(
            "SELECT agent_id, account_id, settings, updated_at FROM agent_lead_forms ORDER BY agent_id"
        )
        return [_form(r) for r in rows]

    async def purge_before(self, account_id: str | None, agent_id: str | None, before: datetime, limit: int) -> int:
        if agent_id is not None:
            return await self._execute(
                "DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE account_id = %s AND agent_id = %s "
                "AND created_at < %s ORDER BY created_at LIMIT %s)",
                (account_id, agent_id, before, limit),
            )
        return await self._execute(
            "DELETE FROM leads WHERE id IN (SELECT l.id FROM leads l WHERE l.created_at < %s AND NOT EXISTS "
            "(SELECT 1 FROM agent_lead_forms f WHERE f.agent_id = l.agent_id) ORDER BY l.created_at LIMIT %s)",
            (before, limit),
        )
