"""The owner's conversation review over HTTP (``/api/v1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.conversation_review import MAX_SEARCH_CHARS, FeedbackFilter, ReviewFilters, ReviewRow
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE
from aioomi.domain.usecases.conversation_review.review_conversations import ReviewConversations
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.date_range import From, To, parse_range
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.widget_controller import remember

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="Conversations per page (1 to 100)")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH, description="The `next_cursor` of the previous page")
]
Feedback = Annotated[str | None, QueryParameter(max_length=10, description="`any`, `up` or `down`: with such a vote")]
Search = Annotated[
    str | None,
    QueryParameter(max_length=MAX_SEARCH_CHARS * 2, description="Every word in one message (full-text search)"),
]
Flag = Annotated[bool | None, QueryParameter(required=False)]


class ConversationRowOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    visitor_id: str
    channel: str
    created_at: datetime
    last_message_at: datetime | None
    first_question: str | None
    message_count: int
    outcome: str
    thumbs_up: int
    thumbs_down: int

    @classmethod
    def of(cls, r: ReviewRow) -> ConversationRowOut:
        s = r.session
        return cls(
            id=s.id,
            visitor_id=s.visitor_id,
            channel=str(s.channel),
            created_at=s.created_at,
            last_message_at=s.last_message_at,
            first_question=r.first_question,
            message_count=r.message_count,
            outcome=str(r.outcome),
            thumbs_up=r.thumbs_up,
            thumbs_down=r.thumbs_down,
        )


class ConversationRowList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[ConversationRowOut]
    next_cursor: str | None = None


class ConversationReviewController(Controller):
    path = "/api/v1"
    tags = ["conversations"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/agents/{agent_id:str}/conversations",
        summary="Review an agent's conversations: dates, feedback, unanswered, full-text search",
        responses=problems(401, 403, 404),
    )
    async def review(
        self,
        review_conversations: NamedDependency[ReviewConversations],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        date_from: From = None,
        date_to: To = None,
        feedback: Feedback = None,
        unanswered: bool = False,
        q: Search = None,
        handed_off: Flag = None,
        has_lead: Flag = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> ConversationRowList:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        since, until = parse_range(date_from, date_to)
        try:
            wanted = FeedbackFilter(feedback) if feedback is not None else None
        except ValueError:
            raise InvalidInput(
                "`feedback` is any, up or down.", code="invalid_feedback_filter", field="feedback"
            ) from None
        filters = ReviewFilters(
            since=since,
            until=until,
            feedback=wanted,
            unanswered=unanswered,
            text=q,
            handed_off=handed_off,
            has_lead=has_lead,
        )
        page = await review_conversations(principal, agent_id, filters, limit=limit, cursor=cursor)
        return ConversationRowList(data=[ConversationRowOut.of(r) for r in page.items], next_cursor=page.next_cursor)
