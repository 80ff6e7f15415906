"""The owner reads the groups of questions the agent failed."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.pagination import MAX_PAGE_SIZE, check_page_size
from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListQuestionGroups:
    """The agent's question groups, largest first; ``status`` (``open``, the default,
    ``dismissed``, ``answered``, or ``all``) chooses which (``invalid_group_status``); another
    account's agent is not found; ``limit`` 1–100."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, principal: Principal, agent_id: str, *, status: str = "open", limit: int = MAX_PAGE_SIZE
    ) -> list[QuestionGroup]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        check_page_size(limit)
        try:
            wanted = None if status == "all" else GroupStatus(status)
        except ValueError:
            raise InvalidInput(
                "The status is open, dismissed, answered or all.", code="invalid_group_status", field="status"
            ) from None
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await uow.question_groups.list(principal.workspace_id, agent.id, status=wanted, limit=limit)
