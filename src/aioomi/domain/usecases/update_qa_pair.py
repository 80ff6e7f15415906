"""UpdateQaPair: edit a question-and-answer pair; its document is ingested again."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentLimits
from aioomi.domain.model.qa_pairs import QaPair, QaPairInput, QaQuestionExists, check_pair, question_key
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.plan_quota import lock_document_quota, plan_of
from aioomi.domain.usecases.qa_support import PairWriter, find_own_pair, qa_source
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class UpdateQaPair:
    """Replace a pair's question, answer and alternatives.

    Rules:
    - the same checks as :class:`~aioomi.domain.usecases.add_qa_pair.AddQaPair`; another pair's
      question is ``qa_question_exists``; an unknown pair (or another agent's) is
      ``qa_pair_not_found``;
    - a changed pair's document gets a new version (title: the new question) and is ingested
      again, in the same unit of work; only its changed chunks are embedded again, and searches
      find the old chunks until the new ones replace them; an unchanged pair changes nothing;
    - the changed pair's text takes the old one's place in the plan's storage limit, as a
      replaced upload (``plan_limit_reached``, 402; nothing changes).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        blobs: BlobStore,
        limits: DocumentLimits,
        plans: PlanLimits | None = None,
    ) -> None:
        self._plans = plans
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._limits = limits

    async def __call__(self, principal: Principal, agent_id: str, pair_id: str, given: QaPairInput) -> QaPair:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        checked = check_pair(given)
        plan = await plan_of(self._plans, principal.workspace_id)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            quota = await lock_document_quota(uow, principal.workspace_id, plan)
            await uow.documents.lock_knowledge_base(principal.workspace_id, agent.id, agent.embedding_model)
            current = await find_own_pair(uow, principal, agent, pair_id)
            source = await qa_source(uow, agent, create=False)
            assert source is not None and source.id == current.source_id
            others = await uow.sources.list_pairs(principal.workspace_id, source.id)
            if any(p.id != current.id and question_key(p.question) == question_key(checked.question) for p in others):
                raise QaQuestionExists("Another pair has this question; edit that one.")
            writer = PairWriter(uow, self._blobs, self._limits, agent, source, self._clock.now(), quota)
            try:
                pair, changed = await writer.write(current, checked)
                if changed:
                    await uow.commit()
            except BaseException:
                await writer.undo()
                raise
        await writer.done()
        return pair
