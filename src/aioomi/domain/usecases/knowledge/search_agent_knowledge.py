"""SearchAgentKnowledge: a member's "test retrieval" on one of the workspace's agents."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentHit
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.search_knowledge import SearchKnowledge


class SearchAgentKnowledge:
    """The chunks a question would bring into an agent's prompt, for a member of its workspace.

    Rules: the caller's role reads the workspace (``view_workspace``: a support member, who sees
    conversations but not the knowledge, is refused with ``forbidden_by_role``); then exactly
    :class:`~aioomi.domain.usecases.search_knowledge.SearchKnowledge` in the caller's workspace
    (another workspace's agent is ``agent_not_found``).
    """

    def __init__(self, search: SearchKnowledge) -> None:
        self._search = search

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        query: str,
        *,
        top_k: int | None = None,
        min_relevance: float | None = None,
    ) -> list[DocumentHit]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        return await self._search(principal.workspace_id, agent_id, query, top_k=top_k, min_relevance=min_relevance)
