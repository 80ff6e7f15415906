"""What the test-question use cases share."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DOCUMENT_ID_PREFIX
from aioomi.domain.model.errors import InvalidInput
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


async def check_cited_document(uow: UnitOfWork, account_id: str, agent_id: str, document_id: str | None) -> None:
    """A ``cites`` expectation's document must be one of the agent's documents (a Q&A pair's id
    is its document's), whatever its status: ``unknown_test_document`` (422) otherwise — also
    for another agent's or another account's document, which the owner cannot cite here.
    Nothing to check without a document."""
    if document_id is None:
        return
    found = await uow.documents.get(account_id, document_id) if is_id(document_id, DOCUMENT_ID_PREFIX) else None
    if found is None or found.agent_id != agent_id:
        raise InvalidInput(
            "The document to cite must be one of this agent's documents.",
            code="unknown_test_document",
            field="document_id",
        )
