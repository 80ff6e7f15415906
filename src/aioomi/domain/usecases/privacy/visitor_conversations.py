"""The VisitorConversations use case."""

from __future__ import annotations

from typing import Any

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import check_visitor_id
from aioomi.domain.model.privacy import (
    RightsAction,
)
from aioomi.domain.usecases.privacy.support import _agent_conversations, every_agent, record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class VisitorConversations:
    """The owner as controller of their visitors' data: find, export and delete a visitor's
    conversations (hard delete) across the owner's agents by visitor id; export and delete are
    audited. A malformed visitor id (not 16–64 of ``[A-Za-z0-9_-]``) is refused before any
    look-up (``invalid_visitor_id``)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _agents(self, uow: UnitOfWork, account_id: str) -> list[str]:
        return [agent.id async for agent in every_agent(uow, account_id)]

    async def find(self, principal: Principal, visitor_id: str) -> list[Any]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=principal.account_id) as uow:
            found = []
            for agent_id in await self._agents(uow, principal.account_id):
                found.extend(
                    await uow.chat_sessions.list_for_visitor(principal.account_id, agent_id, visitor_id, limit=100_000)
                )
        return found

    async def export(self, principal: Principal, visitor_id: str) -> list[dict[str, Any]]:
        check_visitor_id(visitor_id)
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            out = []
            for agent_id in await self._agents(uow, principal.account_id):
                out.extend(await _agent_conversations(uow, principal.account_id, agent_id, visitor_id))
            leads = await uow.leads.list_for_visitor(principal.account_id, visitor_id)
            out.extend({"lead": msgspec.to_builtins(lead)} for lead in leads)  # the visitor's leads too
            await record(uow, principal.account_id, RightsAction.VISITOR_EXPORTED, now, sessions=len(out) - len(leads))
            await uow.commit()
        return out

    async def delete(self, principal: Principal, visitor_id: str) -> int:
        check_visitor_id(visitor_id)
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            removed = 0
            for agent_id in await self._agents(uow, principal.account_id):
                for session in await uow.chat_sessions.list_for_visitor(
                    principal.account_id, agent_id, visitor_id, limit=100_000
                ):
                    removed += int(await uow.chat_sessions.delete(principal.account_id, session.id))
            await uow.leads.delete_for_visitor(principal.account_id, visitor_id)  # the visitor's leads too
            await record(uow, principal.account_id, RightsAction.VISITOR_DELETED, now, sessions=removed)
            await uow.commit()
        return removed
