"""DeleteQaPair: remove a question-and-answer pair with its document, chunks and file."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import PURGE_DOCUMENT
from aioomi.domain.model.job_payloads import job_of, purge_document_payload
from aioomi.domain.model.test_questions import RunTrigger
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.knowledge.purge_document_data import PurgeDocumentData
from aioomi.domain.usecases.qa_support import find_own_pair
from aioomi.domain.usecases.test_questions.request_test_run import rerun_tests_after_change
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteQaPair:
    """Delete a pair.

    Rules:
    - an unknown pair (or another agent's) is ``qa_pair_not_found``;
    - as for a document: the document (and with it the pair) goes in a unit of work that also
      enqueues a purge job, then its chunks under every model and its file are removed at once
      (the job repeats that if the process died in between).
    - the removal queues a debounced run of the agent's test questions when it has some (same
      transaction).
    """

    def __init__(self, uow: UnitOfWorkFactory, purge: PurgeDocumentData, clock: Clock) -> None:
        self._uow = uow
        self._purge = purge
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, pair_id: str) -> None:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            pair = await find_own_pair(uow, principal, agent, pair_id)
            document = await uow.documents.get(principal.workspace_id, pair.id, for_update=True)
            base = await uow.documents.knowledge_base(principal.workspace_id, agent.id)
            purge = purge_document_payload(
                principal.workspace_id,
                agent.id,
                pair.id,
                (
                    document.embedding_model if document else None,
                    agent.embedding_model,
                    base.embedding_model if base else None,
                    base.pending_model if base else None,
                ),
            )
            await uow.documents.delete(principal.workspace_id, pair.id)
            await uow.jobs.enqueue(job_of(PURGE_DOCUMENT, purge, max_attempts=10))
            await rerun_tests_after_change(
                uow, self._clock.now(), principal.workspace_id, agent.id, RunTrigger.KNOWLEDGE
            )
            await uow.commit()
        await self._purge(principal.workspace_id, agent.id, pair.id, purge.models)
