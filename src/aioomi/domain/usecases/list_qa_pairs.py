"""ListQaPairs: the agent's question-and-answer pairs."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.qa_pairs import QaPair
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.qa_support import qa_source
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListQaPairs:
    """The agent's pairs, oldest first (none before the first pair is added).

    Rules:
    - only the owner's agent (``agent_not_found`` otherwise);
    - an agent holds at most its document limit of pairs, so the list is bounded.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> list[QaPair]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await qa_source(uow, agent, create=False)
            return [] if source is None else await uow.sources.list_pairs(principal.workspace_id, source.id)
