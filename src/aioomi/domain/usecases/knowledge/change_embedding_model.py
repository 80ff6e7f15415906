"""ChangeEmbeddingModel: Ask for the agent's knowledge base to be embedded with another model."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    SWITCH_EMBEDDING_MODEL,
    EmbeddingModelUnavailable,
    KnowledgeBase,
)
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ChangeEmbeddingModel:
    """Ask for the agent's knowledge base to be embedded with another model.

    Rules:
    - the model must be configured on this server (``embedding_model_unavailable``);
    - the re-embedding runs in the background (:class:`SwitchEmbeddingModel`), enqueued in the
      same unit of work; searches keep using the current model until every document has its
      chunks under the new one, then switch over at once;
    - asking for the current model cancels a pending switch; asking again for another model
      supersedes the pending one.
    """

    def __init__(self, uow: UnitOfWorkFactory, embedders: EmbedderCatalog) -> None:
        self._uow = uow
        self._embedders = embedders

    async def __call__(self, principal: Principal, agent_id: str, model: str) -> KnowledgeBase:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            if self._embedders.get(model) is None:
                raise EmbeddingModelUnavailable(
                    f"The embedding model {model!r} is not configured here; available: "
                    f"{', '.join(self._embedders.models())}.",
                    field="model",
                )
            base = await uow.documents.lock_knowledge_base(principal.workspace_id, agent.id, agent.embedding_model)
            if model == base.embedding_model:
                base = msgspec.structs.replace(base, pending_model=None)
            else:
                base = msgspec.structs.replace(base, pending_model=model)
                await uow.jobs.enqueue(
                    NewJob(
                        kind=SWITCH_EMBEDDING_MODEL,
                        payload={"account_id": principal.workspace_id, "agent_id": agent.id, "model": model},
                        max_attempts=10,
                    )
                )
            await uow.documents.save_knowledge_base(base)
            await uow.commit()
        return base
