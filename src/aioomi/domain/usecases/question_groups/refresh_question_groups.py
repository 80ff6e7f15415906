"""The worker regroups an agent's unanswered and disliked questions."""

from __future__ import annotations

from typing import Any

from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import EmbeddingRejected
from aioomi.domain.model.question_groups import (
    DEFAULT_GROUP_SIMILARITY,
    GROUP_PREFIX,
    MAX_QUESTIONS_PER_RUN,
    GroupStatus,
    QuestionGroup,
    cluster_questions,
    summarise,
)
from aioomi.domain.usecases.privacy.support import DEFERRED_WHILE_RESTRICTED, processing_allowed
from aioomi.ports.clock import Clock
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.unit_of_work import UnitOfWorkFactory

REFRESH_QUESTION_GROUPS = "question_groups.refresh"


class RefreshQuestionGroups:
    """Regroup the agent's wanting questions (run by the worker, never on a request).

    Rules:
    - grouping sends visitors' questions to the embedder: while the workspace does not serve
      (``processing_allowed``: every owner restricted, Art. 18, or being erased), nothing is
      read or embedded and the job ends deferred;
    - the questions: the newest 10,000 whose answer fell back, had no source, or got a
      thumbs-down (:meth:`~aioomi.ports.question_groups.QuestionGroupRepository.wanting`);
    - embedded with the agent's own embedding model, grouped by
      :func:`~aioomi.domain.model.question_groups.cluster_questions` at cosine 0.8;
    - each group: count, up to 10 distinct phrasings, reasons, first and last time asked;
    - a group whose key the owner already dismissed or answered is not reopened;
    - the agent's open groups are replaced all at once (one unit of work), and the time the
      questions were read is recorded for :class:`QueueDueQuestionGroupRefreshes`.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedders: EmbedderCatalog,
        clock: Clock,
        similarity: float = DEFAULT_GROUP_SIMILARITY,
    ) -> None:
        self._uow = uow
        self._embedders = embedders
        self._clock = clock
        self._similarity = similarity

    async def __call__(self, account_id: str, agent_id: str) -> dict[str, Any]:
        read_at = self._clock.now()
        async with self._uow(account_id=account_id) as uow:
            agent = await uow.agents.get(account_id, agent_id)
            if agent is None:
                return {"agent": "gone"}
            if not await processing_allowed(uow, account_id):
                return dict(DEFERRED_WHILE_RESTRICTED)
            wanting = await uow.question_groups.wanting(account_id, agent.id, limit=MAX_QUESTIONS_PER_RUN)
            closed = {
                g.key
                for g in await uow.question_groups.list(account_id, agent.id, status=None, limit=MAX_QUESTIONS_PER_RUN)
                if g.status is not GroupStatus.OPEN
            }
        embedder = self._embedders.get(agent.embedding_model)
        if embedder is None:
            raise EmbeddingRejected(f"The embedding model {agent.embedding_model} is not available.")
        vectors = await embedder.embed([w.text for w in wanting]) if wanting else []
        now = self._clock.now()
        groups = []
        for members in cluster_questions(wanting, vectors, self._similarity):
            key, label, count, examples, reasons, first, last = summarise(wanting, members)
            if key in closed:
                continue
            groups.append(
                QuestionGroup(
                    id=new_id(GROUP_PREFIX),
                    account_id=account_id,
                    agent_id=agent.id,
                    key=key,
                    label=label,
                    count=count,
                    examples=examples,
                    reasons=reasons,
                    first_seen=first,
                    last_seen=last,
                    updated_at=now,
                )
            )
        async with self._uow(account_id=account_id) as uow:
            await uow.question_groups.replace_open(account_id, agent.id, groups)
            await uow.question_groups.mark_refreshed(account_id, agent.id, read_at)
            await uow.commit()
        return {"questions": len(wanting), "groups": len(groups)}
