"""The owner's analytics in memory, with the Postgres store's semantics."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.analytics import CitedDocument, DayCounts, TopGroup
from aioomi.domain.model.chat import ChatMessage, ChatSession, MessageStatus, Role
from aioomi.domain.model.feedback import Rating
from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup


class InMemoryAnalyticsRepository:
    """:class:`aioomi.ports.analytics.AnalyticsRepository` on the sessions', messages' and
    groups' :class:`Table`."""

    def __init__(
        self, sessions: Table[ChatSession], messages: Table[ChatMessage], groups: Table[QuestionGroup]
    ) -> None:
        self._sessions = sessions
        self._messages = messages
        self._groups = groups

    def _messages_in(
        self, account_id: str, agent_id: str | None, since: datetime, until: datetime
    ) -> list[ChatMessage]:
        return [
            m
            for m in self._messages.values()
            if m.account_id == account_id
            and (agent_id is None or m.agent_id == agent_id)
            and since <= m.created_at < until
        ]

    async def daily(self, account_id: str, agent_id: str | None, since: datetime, until: datetime) -> list[DayCounts]:
        counts: dict[date, Counter[str]] = {}
        for s in self._sessions.values():
            if s.account_id == account_id and (agent_id is None or s.agent_id == agent_id):
                if since <= s.created_at < until:
                    counts.setdefault(s.created_at.date(), Counter())["conversations"] += 1
        for m in self._messages_in(account_id, agent_id, since, until):
            day = counts.setdefault(m.created_at.date(), Counter())
            day["messages"] += 1
            if m.role is not Role.ASSISTANT:
                continue
            if m.status is MessageStatus.COMPLETE:
                day["answered"] += 1
                day["curated_hits"] += m.curated_pair_id is not None
            elif m.status is MessageStatus.UNANSWERED:
                day["unanswered"] += 1
            elif m.status is MessageStatus.FAILED:
                day["failed"] += 1
            if m.feedback is not None:
                day["thumbs_up" if m.feedback.rating is Rating.UP else "thumbs_down"] += 1
        return [DayCounts(day=d, **dict(c)) for d, c in sorted(counts.items())]

    async def top_documents(
        self, account_id: str, agent_id: str | None, since: datetime, until: datetime, *, limit: int
    ) -> list[CitedDocument]:
        cited: Counter[str] = Counter()
        titles: dict[str, tuple[datetime, str, str]] = {}
        for m in self._messages_in(account_id, agent_id, since, until):
            if m.role is not Role.ASSISTANT:
                continue
            for c in {c.document_id: c for c in m.citations}.values():
                cited[c.document_id] += 1
                seen = (m.created_at, m.id, c.document_title)
                if c.document_id not in titles or seen > titles[c.document_id]:
                    titles[c.document_id] = seen
        ranked = sorted(cited.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [CitedDocument(document_id=d, title=titles[d][2], answers=n) for d, n in ranked]

    async def top_groups(
        self, account_id: str, agent_id: str | None, since: datetime, until: datetime, *, limit: int
    ) -> list[TopGroup]:
        groups = [
            g
            for g in self._groups.values()
            if g.account_id == account_id
            and (agent_id is None or g.agent_id == agent_id)
            and g.status is GroupStatus.OPEN
            and since <= g.last_seen < until
        ]
        groups.sort(key=lambda g: (-g.count, g.id))
        return [
            TopGroup(id=g.id, agent_id=g.agent_id, label=g.label, count=g.count, last_seen=g.last_seen)
            for g in groups[:limit]
        ]
