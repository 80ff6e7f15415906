"""The owner rewrites a test question."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.test_questions import ExpectationKind, TestQuestion, TestQuestionNotFound, check_test_question
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.test_questions.support import check_cited_document, find_own_test_question
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class UpdateTestQuestion:
    """Replace a test question's text and expectation (the rules of creating one, the cited
    document checked again: ``unknown_test_document``); another account's or agent's question
    is not found (``test_question_not_found``)."""

    __test__ = False

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        question_id: str,
        *,
        question: str,
        kind: ExpectationKind,
        facts: Sequence[str] = (),
        document_id: str | None = None,
    ) -> TestQuestion:
        ensure_permitted(principal, Permission.RUN_TESTS)
        text, kept, document = check_test_question(question, kind, facts, document_id)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            found = await find_own_test_question(uow, principal, agent.id, question_id)
            await check_cited_document(uow, principal.workspace_id, agent.id, document)
            updated = msgspec.structs.replace(
                found, question=text, kind=kind, facts=kept, document_id=document, updated_at=self._clock.now()
            )
            if not await uow.test_questions.update(updated):
                raise TestQuestionNotFound("No such test question.")
            await uow.commit()
        return updated
