"""Wanting questions and their groups in memory, with the Postgres store's semantics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatMessage, MessageStatus, Role
from aioomi.domain.model.feedback import Rating
from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup, WantingQuestion, WantingReason


class InMemoryQuestionGroupRepository:
    """:class:`aioomi.ports.question_groups.QuestionGroupRepository` on the messages' and the
    groups' :class:`Table`."""

    def __init__(
        self,
        groups: Table[QuestionGroup],
        messages: Table[ChatMessage],
        refreshes: Table[tuple[str, str, datetime]],
        agents: Table[Agent],
    ) -> None:
        self._groups = groups
        self._messages = messages
        self._refreshes = refreshes
        self._agents = agents

    async def wanting(self, account_id: str, agent_id: str, *, limit: int) -> list[WantingQuestion]:
        found: list[WantingQuestion] = []
        for a in self._messages.values():
            if a.account_id != account_id or a.agent_id != agent_id or a.role is not Role.ASSISTANT or not a.reply_to:
                continue
            if a.feedback is not None and a.feedback.rating is Rating.DOWN:
                reason = WantingReason.DISLIKED
            elif a.status is MessageStatus.UNANSWERED:
                reason = WantingReason.UNANSWERED
            elif a.status is MessageStatus.COMPLETE and not a.citations and a.curated_pair_id is None:
                reason = WantingReason.NO_SOURCES
            else:
                continue
            q = self._messages.get(a.reply_to)
            if q is not None and q.account_id == account_id:
                found.append(WantingQuestion(message_id=q.id, text=q.content, asked_at=q.created_at, reason=reason))
        found.sort(key=lambda w: (w.asked_at, w.message_id), reverse=True)
        return found[:limit]

    async def replace_open(self, account_id: str, agent_id: str, groups: Sequence[QuestionGroup]) -> None:
        for g in list(self._groups.values()):
            if g.account_id == account_id and g.agent_id == agent_id and g.status is GroupStatus.OPEN:
                self._groups.delete(g.id)
        for g in groups:
            self._groups.put(g.id, g)

    async def list(
        self, account_id: str, agent_id: str, *, status: GroupStatus | None, limit: int
    ) -> list[QuestionGroup]:
        mine = [
            g
            for g in self._groups.values()
            if g.account_id == account_id and g.agent_id == agent_id and (status is None or g.status is status)
        ]
        return sorted(mine, key=lambda g: (-g.count, g.key))[:limit]

    async def get(self, account_id: str, group_id: str) -> QuestionGroup | None:
        g = self._groups.get(group_id)
        return g if g is not None and g.account_id == account_id else None

    async def update(self, group: QuestionGroup) -> bool:
        if await self.get(group.account_id, group.id) is None:
            return False
        self._groups.put(group.id, group)
        return True

    async def due_for_refresh(self, floor: datetime, *, limit: int) -> Sequence[tuple[str, str]]:
        due: list[tuple[datetime | None, str, str]] = []
        for agent in self._agents.values():
            seen = self._refreshes.get(agent.id)
            since = max(floor, seen[2]) if seen is not None else floor
            for a in self._messages.values():
                if a.account_id != agent.account_id or a.agent_id != agent.id or a.role is not Role.ASSISTANT:
                    continue
                disliked_since = (
                    a.feedback is not None and a.feedback.rating is Rating.DOWN and a.feedback.updated_at > since
                )
                wanting = (
                    a.status is MessageStatus.UNANSWERED
                    or (a.status is MessageStatus.COMPLETE and not a.citations and a.curated_pair_id is None)
                    or (a.feedback is not None and a.feedback.rating is Rating.DOWN)
                )
                if wanting and (a.created_at > since or disliked_since):
                    due.append((seen[2] if seen is not None else None, agent.id, agent.account_id))
                    break
        due.sort(key=lambda d: (d[0] is not None, d[0] or floor, d[1]))
        return [(account_id, agent_id) for _, agent_id, account_id in due[:limit]]

    async def mark_refreshed(self, account_id: str, agent_id: str, at: datetime) -> None:
        self._refreshes.put(agent_id, (account_id, agent_id, at))
