"""DeleteAgent: removing an agent together with its knowledge base."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteAgent:
    """Delete one of the caller's agents and everything its knowledge base holds.

    Rules:
    - another account's agent is not found, exactly like a missing one;
    - the knowledge base goes with the agent (the privacy policy: "KB deleted on removal"):
      every store of agent data is a port given to this use case and is emptied here, today
      the chunks and their vectors (``ChunkStore.delete_agent``); a store added later (the
      documents and their blobs) is one more constructor port and one more call here;
    - the stores are emptied first and the agent row goes last: if a step fails, the agent is
      still there and deleting it again finishes the job (never an orphaned knowledge base
      behind an agent that no longer exists);
    - the public widget key stops working with the agent.
    """

    def __init__(self, uow: UnitOfWorkFactory, chunk_store: ChunkStore, blobs: BlobStore | None = None) -> None:
        self._uow = uow
        self._chunks = chunk_store
        self._blobs = blobs  # the documents' original files, under "<account>/<agent>/"

    async def __call__(self, principal: Principal, agent_id: str) -> None:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
        await self._chunks.delete_agent(account_id=agent.account_id, agent_id=agent.id)
        if self._blobs is not None:
            await self._blobs.delete_prefix(f"{agent.account_id}/{agent.id}/")
        async with self._uow(account_id=principal.workspace_id) as uow:
            await uow.documents.delete_agent(agent.account_id, agent.id)
            await uow.sources.delete_agent(agent.account_id, agent.id)
            await uow.agents.delete(agent.account_id, agent.id)
            await uow.commit()
