"""The agent store in memory, with the same semantics as the Postgres one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aioomi.adapters.memory.tables import Table
from aioomi.adapters.memory.workspaces import owner_statuses_of
from aioomi.domain.model.accounts import Account, AccountStatus
from aioomi.domain.model.agents import MAX_REFUSED_ORIGINS, Agent, RefusedOrigin
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.pagination import PageKey
from aioomi.domain.model.workspaces import Membership


def _position(agent: Agent) -> tuple[datetime, str]:
    return (agent.created_at, agent.id)


class InMemoryAgentRepository:
    """:class:`aioomi.ports.agents.AgentRepository` on a :class:`Table`. Locks are not needed:
    a memory unit of work does not yield to other tasks between its reads and its writes."""

    def __init__(
        self,
        table: Table[Agent],
        all_agents: dict[str, Agent],
        refused: Table[RefusedOrigin] | None = None,
        all_accounts: dict[str, Account] | None = None,
        all_members: dict[str, Membership] | None = None,
    ) -> None:
        self._table = table
        self._accounts = all_accounts if all_accounts is not None else {}
        self._members = all_members if all_members is not None else {}
        self._all = all_agents  # public keys are unique across accounts, whatever the tenant scope
        self._refused = refused
        self._dependents: list[tuple[Table[Any], Callable[[str, Any], str | None]]] = []

    def cascade_to(self, table: Table[Any], agent_of: Callable[[str, Any], str | None]) -> None:
        """Rows of ``table`` go with their agent (``agent_of(key, row)`` names it), as the
        Postgres foreign keys ``REFERENCES agents ON DELETE CASCADE`` take them."""
        self._dependents.append((table, agent_of))

    def _check_unique(self, agent: Agent, *, new: bool) -> None:
        if new and (agent.id in self._all or agent.id in self._table.rows):
            raise Conflict("The resource already exists.", code="already_exists")
        for other in list(self._all.values()) + list(self._table.rows.values()):
            if other.id != agent.id and other.public_key == agent.public_key:
                raise Conflict("The resource already exists.", code="already_exists")

    async def add(self, agent: Agent) -> None:
        self._check_unique(agent, new=True)
        self._table.put(agent.id, agent)

    async def get(self, account_id: str, agent_id: str, *, for_update: bool = False) -> Agent | None:
        agent = self._table.get(agent_id)
        return agent if agent is not None and agent.account_id == account_id else None

    async def list_page(self, account_id: str, *, limit: int, after: PageKey | None) -> list[Agent]:
        mine = [a for a in self._table.values() if a.account_id == account_id]
        if after is not None:
            mine = [a for a in mine if _position(a) < (after.created_at, after.id)]
        return sorted(mine, key=_position, reverse=True)[:limit]

    async def count_locked(self, account_id: str) -> int:
        return sum(1 for a in self._table.values() if a.account_id == account_id)

    async def update(self, agent: Agent) -> bool:
        if await self.get(agent.account_id, agent.id) is None:
            return False
        self._check_unique(agent, new=False)
        self._table.put(agent.id, agent)
        return True

    async def delete(self, account_id: str, agent_id: str) -> bool:
        if await self.get(account_id, agent_id) is None:
            return False
        self._table.delete(agent_id)
        for table, agent_of in self._dependents:
            for key, row in list(table.rows.items()):
                if agent_of(key, row) == agent_id:
                    table.delete(key)
        return True

    async def find_by_public_key(self, public_key: str) -> Agent | None:
        return next((a for a in self._table.values() if a.public_key == public_key), None)

    async def find_by_public_key_with_owner(self, public_key: str) -> tuple[Agent, list[AccountStatus]] | None:
        agent = await self.find_by_public_key(public_key)
        if agent is None:
            return None
        return agent, owner_statuses_of(agent.account_id, self._members.values(), self._accounts)

    async def record_refused_origin(self, agent: Agent, origin: str, at: datetime) -> None:
        assert self._refused is not None
        key = f"{agent.id} {origin[:300]}"
        seen = self._refused.get(key)
        self._refused.put(
            key,
            RefusedOrigin(
                account_id=agent.account_id,
                agent_id=agent.id,
                origin=origin[:300],
                first_seen_at=seen.first_seen_at if seen else at,
                last_seen_at=max(seen.last_seen_at, at) if seen else at,
                hits=seen.hits + 1 if seen else 1,
            ),
        )
        mine = sorted(
            (r for r in self._refused.values() if r.agent_id == agent.id),
            key=lambda r: (r.last_seen_at, r.origin),
            reverse=True,
        )
        for old in mine[MAX_REFUSED_ORIGINS:]:
            self._refused.delete(f"{agent.id} {old.origin}")

    async def refused_origins(self, account_id: str, agent_id: str) -> list[RefusedOrigin]:
        if self._refused is None or await self.get(account_id, agent_id) is None:
            return []
        return sorted(
            (r for r in self._refused.values() if r.agent_id == agent_id),
            key=lambda r: (r.last_seen_at, r.origin),
            reverse=True,
        )
