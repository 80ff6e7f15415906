"""The owner's conversation review in memory, with the Postgres store's semantics."""

from __future__ import annotations

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.chat import ChatMessage, ChatSession, MessageStatus, Role
from aioomi.domain.model.conversation_review import FeedbackFilter, Outcome, ReviewFilters, ReviewRow, search_words
from aioomi.domain.model.feedback import Rating
from aioomi.domain.model.handoff import HandoffEvent, HandoffEventKind
from aioomi.domain.model.leads import Lead
from aioomi.domain.model.pagination import PageKey


def outcome(last_answer: ChatMessage | None) -> Outcome:
    if last_answer is None or last_answer.status is MessageStatus.STREAMING:
        return Outcome.NO_ANSWER
    if last_answer.status is MessageStatus.UNANSWERED:
        return Outcome.UNANSWERED
    if last_answer.status is MessageStatus.FAILED:
        return Outcome.FAILED
    return Outcome.CURATED if last_answer.curated_pair_id else Outcome.ANSWERED


class InMemoryConversationReviewRepository:
    """:class:`aioomi.ports.conversation_review.ConversationReviewRepository` on the sessions'
    and messages' :class:`Table`."""

    def __init__(
        self,
        sessions: Table[ChatSession],
        messages: Table[ChatMessage],
        handoff_events: Table[HandoffEvent],
        leads: Table[Lead],
    ) -> None:
        self._sessions = sessions
        self._messages = messages
        self._handoff_events = handoff_events
        self._leads = leads

    async def review(
        self, account_id: str, agent_id: str, filters: ReviewFilters, *, limit: int, after: PageKey | None = None
    ) -> list[ReviewRow]:
        by_session: dict[str, list[ChatMessage]] = {}
        for m in self._messages.values():
            if m.account_id == account_id and m.agent_id == agent_id:
                by_session.setdefault(m.session_id, []).append(m)
        wanted = set(filters.text.split()) if filters.text else set()
        asked = {
            e.session_id
            for e in self._handoff_events.values()
            if e.account_id == account_id and e.kind is HandoffEventKind.REQUESTED
        }
        with_lead = {lead.session_id for lead in self._leads.values() if lead.account_id == account_id}
        rows: list[ReviewRow] = []
        for s in sorted(self._sessions.values(), key=lambda s: (s.created_at, s.id), reverse=True):
            if (
                s.account_id != account_id
                or s.agent_id != agent_id
                or (filters.since is not None and s.created_at < filters.since)
                or (filters.until is not None and s.created_at >= filters.until)
                or (after is not None and (s.created_at, s.id) >= (after.created_at, after.id))
            ):
                continue
            messages = sorted(by_session.get(s.id, []), key=lambda m: (m.created_at, m.id))
            votes = [m.feedback.rating for m in messages if m.feedback is not None]
            if filters.unanswered and not any(m.status is MessageStatus.UNANSWERED for m in messages):
                continue
            if filters.feedback is FeedbackFilter.ANY and not votes:
                continue
            if (
                filters.feedback in (FeedbackFilter.UP, FeedbackFilter.DOWN)
                and Rating(filters.feedback.value) not in votes
            ):
                continue
            if filters.handed_off is not None and (s.id in asked) is not filters.handed_off:
                continue
            if filters.has_lead is not None and (s.id in with_lead) is not filters.has_lead:
                continue
            if wanted and not any(wanted <= set(search_words(m.content)) for m in messages):
                continue
            answers = [m for m in messages if m.role is Role.ASSISTANT]
            first = next((m.content[:200] for m in messages if m.role is Role.USER), None)
            rows.append(
                ReviewRow(
                    session=s,
                    first_question=first,
                    message_count=len(messages),
                    outcome=outcome(answers[-1] if answers else None),
                    thumbs_up=votes.count(Rating.UP),
                    thumbs_down=votes.count(Rating.DOWN),
                )
            )
            if len(rows) >= limit:
                break
        return rows
