"""KnowledgePassages: the chat's passage search on the knowledge base's hybrid retrieval."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import Passage
from aioomi.domain.model.documents import KnowledgeBase, KnowledgeBaseTotals
from aioomi.domain.usecases.search_knowledge import SearchKnowledge


class KnowledgePassages:
    """:class:`~aioomi.ports.chat.PassageSearch` on :class:`SearchKnowledge` (the hybrid
    retrieval of the knowledge-base work), its hits seen as the prompt's passages."""

    def __init__(self, search: SearchKnowledge) -> None:
        self._search = search

    async def __call__(
        self,
        *,
        account_id: str,
        agent_id: str,
        query: str,
        top_k: int,
        min_relevance: float,
        agent: Agent | None = None,
        knowledge: tuple[KnowledgeBase | None, KnowledgeBaseTotals] | None = None,
    ) -> list[Passage]:
        hits = await self._search(
            account_id, agent_id, query, top_k=top_k, min_relevance=min_relevance, agent=agent, knowledge=knowledge
        )
        return [
            Passage(
                document_id=h.document_id,
                document_title=h.document_title,
                position=h.position,
                text=h.text,
                score=h.score,
                source_url=h.source_url,
                relevance=h.relevance,
            )
            for h in hits
        ]
