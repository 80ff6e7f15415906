"""What the test-question use cases share."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.test_questions import TEST_QUESTION_PREFIX, TestQuestion, TestQuestionNotFound
from aioomi.ports.unit_of_work import UnitOfWork


async def find_own_test_question(
    uow: UnitOfWork, principal: Principal, agent_id: str, question_id: str
) -> TestQuestion:
    """The caller's agent's test question, or :class:`TestQuestionNotFound` (another account's,
    or another agent's, is not found either)."""
    found = (
        await uow.test_questions.get(principal.workspace_id, question_id)
        if is_id(question_id, TEST_QUESTION_PREFIX)
        else None
    )
    if found is None or found.agent_id != agent_id:
        raise TestQuestionNotFound("No such test question.")
    return found
