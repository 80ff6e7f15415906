"""The agent store on Postgres. It runs on the unit of work's connection, so the transaction
and its tenant scope (row-level security) apply; every query also filters by account itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.agents import MAX_REFUSED_ORIGINS, Agent, RefusedOrigin
from aioomi.domain.model.pagination import PageKey

# The retrieval settings are three columns (each with its CHECK); read back as the nested object.
_COLUMNS = (
    "id, account_id, name, system_prompt, model, temperature, max_tokens, answer_mode, fallback_message, "
    "jsonb_build_object('top_k', top_k, 'min_relevance', min_relevance, 'max_citations', max_citations) AS retrieval, "
    "greeting, "
    "starter_questions, widget, allowed_origins, status, public_key, embedding_model, created_at, updated_at"
)


def _params(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "account_id": agent.account_id,
        "name": agent.name,
        "system_prompt": agent.system_prompt,
        "model": agent.model,
        "temperature": agent.temperature,
        "max_tokens": agent.max_tokens,
        "answer_mode": str(agent.answer_mode),
        "fallback_message": agent.fallback_message,
        "top_k": agent.retrieval.top_k,
        "min_relevance": agent.retrieval.min_relevance,
        "max_citations": agent.retrieval.max_citations,
        "greeting": agent.greeting,
        "starter_questions": list(agent.starter_questions),
        "widget": Jsonb(msgspec.to_builtins(agent.widget)),
        "allowed_origins": list(agent.allowed_origins),
        "status": str(agent.status),
        "public_key": agent.public_key,
        "embedding_model": agent.embedding_model,
        "created_at": agent.created_at,
        "updated_at": agent.updated_at,
    }


def _agent(row: dict[str, Any] | None) -> Agent | None:
    if row is None:
        return None
    # Timestamps come back in the session's time zone; the domain keeps UTC.
    row["created_at"], row["updated_at"] = row["created_at"].astimezone(UTC), row["updated_at"].astimezone(UTC)
    return msgspec.convert(row, Agent)


class PostgresAgentRepository(PostgresRepository):
    """:class:`aioomi.ports.agents.AgentRepository` on the ``agents`` table."""

    async def add(self, agent: Agent) -> None:
        await self._execute(
            "INSERT INTO agents (id, account_id, name, system_prompt, model, temperature, max_tokens, answer_mode, "
            "fallback_message, top_k, min_relevance, max_citations, greeting, starter_questions, widget, allowed_origins, status, "
            "public_key, embedding_model, created_at, updated_at) VALUES (%(id)s, %(account_id)s, %(name)s, "
            "%(system_prompt)s, %(model)s, %(temperature)s, %(max_tokens)s, %(answer_mode)s, %(fallback_message)s, "
            "%(top_k)s, %(min_relevance)s, %(max_citations)s, %(greeting)s, %(starter_questions)s, %(widget)s, %(allowed_origins)s, "
            "%(status)s, %(public_key)s, %(embedding_model)s, %(created_at)s, %(updated_at)s)",
            _params(agent),
        )

    async def get(self, account_id: str, agent_id: str, *, for_update: bool = False) -> Agent | None:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM agents WHERE id = %s AND account_id = %s" + (" FOR UPDATE" if for_update else ""),
            (agent_id, account_id),
        )
        return _agent(rows[0] if rows else None)

    async def list_page(self, account_id: str, *, limit: int, after: PageKey | None) -> list[Agent]:
        if after is None:
            rows = await self._rows(
                f"SELECT {_COLUMNS} FROM agents WHERE account_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
                (account_id, limit),
            )
        else:
            rows = await self._rows(
                f"SELECT {_COLUMNS} FROM agents WHERE account_id = %s AND (created_at, id) < (%s, %s) "
                "ORDER BY created_at DESC, id DESC LIMIT %s",
                (account_id, after.created_at, after.id, limit),
            )
        return [agent for row in rows if (agent := _agent(row)) is not None]

    async def count_locked(self, account_id: str) -> int:
        await self._execute("SELECT pg_advisory_xact_lock(hashtextextended('aioomi.agents:' || %s, 0))", (account_id,))
        rows = await self._rows("SELECT count(*) AS n FROM agents WHERE account_id = %s", (account_id,))
        return int(rows[0]["n"])

    async def update(self, agent: Agent) -> bool:
        return 1 == await self._execute(
            "UPDATE agents SET name = %(name)s, system_prompt = %(system_prompt)s, model = %(model)s, "
            "temperature = %(temperature)s, max_tokens = %(max_tokens)s, answer_mode = %(answer_mode)s, "
            "fallback_message = %(fallback_message)s, top_k = %(top_k)s, min_relevance = %(min_relevance)s, max_citations = %(max_citations)s, "
            "greeting = %(greeting)s, starter_questions = %(starter_questions)s, widget = %(widget)s, "
            "allowed_origins = %(allowed_origins)s, status = %(status)s, public_key = %(public_key)s, "
            "updated_at = %(updated_at)s WHERE id = %(id)s AND account_id = %(account_id)s",
            _params(agent),
        )

    async def delete(self, account_id: str, agent_id: str) -> bool:
        return 1 == await self._execute("DELETE FROM agents WHERE id = %s AND account_id = %s", (agent_id, account_id))

    async def find_by_public_key(self, public_key: str) -> Agent | None:
        rows = await self._rows(f"SELECT {_COLUMNS} FROM agents WHERE public_key = %s", (public_key,))
        return _agent(rows[0] if rows else None)

    async def find_by_public_key_with_owner(self, public_key: str) -> tuple[Agent, list[AccountStatus]] | None:
        # The owners' statuses in the same statement (migration 0047's function: it answers in
        # any scope that may see the workspace, this read's system scope included).
        rows = await self._rows(
            f"SELECT {_COLUMNS}, aioomi_owner_statuses(a.account_id) AS owner_statuses "
            "FROM agents a WHERE public_key = %s",
            (public_key,),
        )
        if not rows:
            return None
        statuses = rows[0].pop("owner_statuses") or []
        agent = _agent(rows[0])
        assert agent is not None
        return agent, [AccountStatus(s) for s in statuses]

    async def record_refused_origin(self, agent: Agent, origin: str, at: datetime) -> None:
        await self._execute(
            "INSERT INTO widget_refused_origins AS r (account_id, agent_id, origin, first_seen_at, last_seen_at) "
            "VALUES (%(account)s, %(agent)s, %(origin)s, %(at)s, %(at)s) ON CONFLICT (agent_id, origin) "
            "DO UPDATE SET last_seen_at = greatest(r.last_seen_at, EXCLUDED.last_seen_at), hits = r.hits + 1",
            {"account": agent.account_id, "agent": agent.id, "origin": origin[:300], "at": at},
        )
        await self._execute(
            "DELETE FROM widget_refused_origins WHERE agent_id = %(agent)s AND account_id = %(account)s AND origin "
            "NOT IN (SELECT origin FROM widget_refused_origins WHERE agent_id = %(agent)s "
            "ORDER BY last_seen_at DESC, origin LIMIT %(keep)s)",
            {"account": agent.account_id, "agent": agent.id, "keep": MAX_REFUSED_ORIGINS},
        )

    async def refused_origins(self, account_id: str, agent_id: str) -> list[RefusedOrigin]:
        rows = await self._rows(
            "SELECT account_id, agent_id, origin, first_seen_at, last_seen_at, hits FROM widget_refused_origins "
            "WHERE account_id = %s AND agent_id = %s ORDER BY last_seen_at DESC, origin",
            (account_id, agent_id),
        )
        return [
            RefusedOrigin(
                account_id=r["account_id"],
                agent_id=r["agent_id"],
                origin=r["origin"],
                first_seen_at=r["first_seen_at"].astimezone(UTC),
                last_seen_at=r["last_seen_at"].astimezone(UTC),
                hits=r["hits"],
            )
            for r in rows
        ]
