"""The store of agents. It works inside a unit of work, scoped to the unit of work's account,
except :meth:`AgentRepository.find_by_public_key`, which the public widget calls in the system
scope before any owner is known."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.agents import Agent, RefusedOrigin
from aioomi.domain.model.pagination import PageKey


class AgentRepository(Protocol):
    async def add(self, agent: Agent) -> None:
        """Insert; raises :class:`~aioomi.domain.model.errors.Conflict` when the id or the
        public key is taken."""
        ...

    async def get(self, account_id: str, agent_id: str, *, for_update: bool = False) -> Agent | None:
        """The account's agent, or ``None`` (also when another account owns it). With
        ``for_update`` the agent stays locked until the unit of work ends, so a
        read-modify-write cannot lose a concurrent change."""
        ...

    async def list_page(self, account_id: str, *, limit: int, after: PageKey | None) -> list[Agent]:
        """Up to ``limit`` of the account's agents, newest first (by creation time, then id),
        starting right after ``after``."""
        ...

    async def count_locked(self, account_id: str) -> int:
        """How many agents the account has, holding a per-account lock until the unit of work
        ends: concurrent creations for one account count one after the other, so a limit
        checked on this count holds."""
        ...

    async def update(self, agent: Agent) -> bool:
        """Replace the stored agent (same id and account) with ``agent``; False if there is none.
        Raises :class:`~aioomi.domain.model.errors.Conflict` when the public key is taken."""
        ...

    async def delete(self, account_id: str, agent_id: str) -> bool:
        """Remove the account's agent; False if it has none with that id."""
        ...

    async def find_by_public_key(self, public_key: str) -> Agent | None:
        """The agent a widget key names (system scope), whatever its status."""
        ...

    async def find_by_public_key_with_owner(self, public_key: str) -> tuple[Agent, list[AccountStatus]] | None:
        """:meth:`find_by_public_key` and its owner's account status (``None``: the account is
        gone) in one read (system scope): the widget needs both on every request."""
        ...

    async def record_refused_origin(self, agent: Agent, origin: str, at: datetime) -> None:
        """Note that the widget was refused on ``origin`` (counted, newest time kept); only the
        :data:`~aioomi.domain.model.agents.MAX_REFUSED_ORIGINS` newest origins are kept."""
        ...

    async def refused_origins(self, account_id: str, agent_id: str) -> list[RefusedOrigin]:
        """The origins the agent's widget was refused on, newest first."""
        ...
