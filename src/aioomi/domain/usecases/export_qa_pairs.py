"""ExportQaPairs: the agent's question-and-answer pairs as a CSV file."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.qa_pairs import pairs_csv
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.qa_support import qa_source
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ExportQaPairs:
    """The pairs as CSV, oldest first, in the columns the import reads, so an export imported
    again changes nothing.

    Rules:
    - only the owner's agent; a header row even without pairs;
    - a cell a spreadsheet would take for a formula (``= + - @``, tab, carriage return first)
      starts with an apostrophe, which the import removes.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> str:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await qa_source(uow, agent, create=False)
            pairs = [] if source is None else await uow.sources.list_pairs(principal.workspace_id, source.id)
        return pairs_csv(pairs)
