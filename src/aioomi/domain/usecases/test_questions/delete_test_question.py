"""The owner deletes a test question."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.test_questions.support import find_own_test_question
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteTestQuestion:
    """Delete a test question (earlier runs keep its results); another account's or agent's
    question is not found (``test_question_not_found``)."""

    __test__ = False

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, question_id: str) -> None:
        ensure_permitted(principal, Permission.RUN_TESTS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            found = await find_own_test_question(uow, principal, agent.id, question_id)
            await uow.test_questions.delete(principal.workspace_id, found.id)
            await uow.commit()
