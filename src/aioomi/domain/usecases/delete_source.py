"""DeleteSource: remove a source with all its documents, their chunks, vectors and files."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import PURGE_DOCUMENT
from aioomi.domain.model.job_payloads import job_of, purge_document_payload
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.knowledge.purge_document_data import PurgeDocumentData
from aioomi.domain.usecases.source_support import find_own_source
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteSource:
    """Delete one of the agent's sources and everything it brought in.

    Rules:
    - in one unit of work: the source, its runs, its documents and their texts go, and one
      purge job per document is enqueued; then each document's chunks (under every model the
      knowledge base uses) and files are removed at once; if the process dies in between, the
      jobs finish the removal; a crawl still running finds its source gone and stops;
    - returns how many documents were removed.
    """

    def __init__(self, uow: UnitOfWorkFactory, purge: PurgeDocumentData) -> None:
        self._uow = uow
        self._purge = purge

    async def __call__(self, principal: Principal, agent_id: str, source_id: str) -> int:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await find_own_source(uow, principal, agent, source_id, for_update=True)
            base = await uow.documents.knowledge_base(principal.workspace_id, agent.id)
            documents = [
                d for d in await uow.documents.list_all(principal.workspace_id, agent.id) if d.source_id == source.id
            ]
            purges: list[tuple[str, list[str]]] = []
            for document in documents:
                purge = purge_document_payload(
                    principal.workspace_id,
                    agent.id,
                    document.id,
                    (
                        document.embedding_model,
                        agent.embedding_model,
                        base.embedding_model if base else None,
                        base.pending_model if base else None,
                    ),
                )
                purges.append((document.id, purge.models))
                await uow.jobs.enqueue(job_of(PURGE_DOCUMENT, purge, max_attempts=10))
            await uow.sources.delete(principal.workspace_id, source.id)
            await uow.commit()
        for document_id, purged_models in purges:
            await self._purge(principal.workspace_id, agent.id, document_id, purged_models)
        return len(documents)
