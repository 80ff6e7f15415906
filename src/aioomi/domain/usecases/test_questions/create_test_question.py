"""The owner adds a test question to an agent."""

from __future__ import annotations

from collections.abc import Sequence

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.test_questions import (
    MAX_TEST_QUESTIONS,
    TEST_QUESTION_PREFIX,
    ExpectationKind,
    TestQuestion,
    check_test_question,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.test_questions.support import check_cited_document
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CreateTestQuestion:
    """Add a test question with one expectation (rules in
    :func:`~aioomi.domain.model.test_questions.check_test_question`: ``invalid_test_question``,
    ``invalid_test_expectation``); a ``cites`` document must be one of the agent's documents
    (``unknown_test_document``); at most 200 per agent (``too_many_test_questions``); another
    account's agent is not found."""

    __test__ = False

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        *,
        question: str,
        kind: ExpectationKind,
        facts: Sequence[str] = (),
        document_id: str | None = None,
    ) -> TestQuestion:
        ensure_permitted(principal, Permission.RUN_TESTS)
        text, kept, document = check_test_question(question, kind, facts, document_id)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id, for_update=True)
            await check_cited_document(uow, principal.workspace_id, agent.id, document)
            if len(await uow.test_questions.list_questions(principal.workspace_id, agent.id)) >= MAX_TEST_QUESTIONS:
                raise Conflict("An agent has at most 200 test questions.", code="too_many_test_questions")
            created = TestQuestion(
                id=new_id(TEST_QUESTION_PREFIX),
                account_id=principal.workspace_id,
                agent_id=agent.id,
                question=text,
                kind=kind,
                facts=kept,
                document_id=document,
                created_at=now,
                updated_at=now,
            )
            await uow.test_questions.add(created)
            await uow.commit()
        return created
