"""The GetKnowledgeBase use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    KnowledgeBase,
    KnowledgeBaseTotals,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetKnowledgeBase:
    """The agent's knowledge base: its embedding model, the one it is switching to, and how
    many documents and characters it holds."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> tuple[KnowledgeBase, KnowledgeBaseTotals]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            base = await uow.documents.knowledge_base(principal.workspace_id, agent.id)
            totals = await uow.documents.totals(principal.workspace_id, agent.id)
        if base is None:
            base = KnowledgeBase(account_id=agent.account_id, agent_id=agent.id, embedding_model=agent.embedding_model)
        return base, totals
