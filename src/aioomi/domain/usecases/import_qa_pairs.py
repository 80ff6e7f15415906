"""ImportQaPairs: add and update question-and-answer pairs from a CSV file, all or nothing."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentLimits
from aioomi.domain.model.qa_pairs import parse_csv, question_key
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.plan_quota import lock_document_quota, plan_of
from aioomi.domain.usecases.qa_support import PairWriter, qa_source
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    created: int
    updated: int
    unchanged: int


class ImportQaPairs:
    """Import pairs from CSV (columns ``question``, ``answer``, ``alternatives``).

    Rules:
    - at most 2 MB and 1,000 pairs, UTF-8, a header row; the first bad row is refused with its
      line number (``invalid_qa_import``, the line in the detail and the ``field``), and then
      nothing is written;
    - a row whose question the source already has (ignoring case and spaces) updates that pair
      (re-ingested when it changed); other rows add pairs; pairs not in the file stay;
    - every pair is written in one unit of work with its ingestion job, within the agent's
      document and character limits and, while plans apply, the plan's document and storage
      limits, as uploads (``plan_limit_reached``, 402): over any limit nothing is written.
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

    async def __call__(self, principal: Principal, agent_id: str, data: bytes) -> ImportResult:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            await find_own_agent(uow.agents, principal, agent_id)
        rows = parse_csv(data)
        created = updated = unchanged = 0
        plan = await plan_of(self._plans, principal.workspace_id)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            quota = await lock_document_quota(uow, principal.workspace_id, plan)
            await uow.documents.lock_knowledge_base(principal.workspace_id, agent.id, agent.embedding_model)
            now = self._clock.now()
            source = await qa_source(uow, agent, create=True, now=now)
            assert source is not None
            existing = {
                question_key(p.question): p for p in await uow.sources.list_pairs(principal.workspace_id, source.id)
            }
            writer = PairWriter(uow, self._blobs, self._limits, agent, source, now, quota)
            try:
                for _, given in rows:
                    current = existing.get(question_key(given.question))
                    _, changed = await writer.write(current, given)
                    created += current is None
                    updated += current is not None and changed
                    unchanged += not changed
                await uow.commit()
            except BaseException:
                await writer.undo()
                raise
        await writer.done()
        return ImportResult(created=created, updated=updated, unchanged=unchanged)
