"""AddQaPair: a question-and-answer pair joins the agent's ``qa`` source."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentLimits
from aioomi.domain.model.qa_pairs import QaPair, QaPairInput, QaQuestionExists, check_pair, question_key
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.plan_quota import lock_document_quota, plan_of
from aioomi.domain.usecases.qa_support import PairWriter, qa_source
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class AddQaPair:
    """Add a pair to the agent's question-and-answer source (made with the first pair).

    Rules:
    - the question and each alternative phrasing: one line of 1–300 characters; the answer:
      1–10,000 characters; at most 10 alternatives (``invalid_qa_pair``);
    - a question the source already has (ignoring case and spaces) is ``qa_question_exists``;
    - the pair is a document whose title is the question and whose text is the answer with the
      alternatives (one per line); it is recorded ``queued`` with its ingestion job in one unit
      of work, within the agent's document and character limits and, while plans apply, the
      plan's document and storage limits, as an upload (``plan_limit_reached``, 402; nothing
      is stored).
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

    async def __call__(self, principal: Principal, agent_id: str, given: QaPairInput) -> QaPair:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        checked = check_pair(given)
        plan = await plan_of(self._plans, principal.workspace_id)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            quota = await lock_document_quota(uow, principal.workspace_id, plan)
            await uow.documents.lock_knowledge_base(principal.workspace_id, agent.id, agent.embedding_model)
            now = self._clock.now()
            source = await qa_source(uow, agent, create=True, now=now)
            assert source is not None
            existing = await uow.sources.list_pairs(principal.workspace_id, source.id)
            if any(question_key(p.question) == question_key(checked.question) for p in existing):
                raise QaQuestionExists("This question already has a pair; edit that one.")
            writer = PairWriter(uow, self._blobs, self._limits, agent, source, now, quota)
            try:
                pair, _ = await writer.write(None, checked)
                await uow.commit()
            except BaseException:
                await writer.undo()
                raise
        return pair
