"""GetDocument: One document with its status, progress and error."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    Document,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.documents.support import find_own_document
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetDocument:
    """One document with its status, progress and error."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, document_id: str) -> Document:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await find_own_document(uow, principal, agent, document_id)
