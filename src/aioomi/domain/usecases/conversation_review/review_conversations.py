"""The owner's conversation review: an agent's sessions filtered and searched, a page at a time."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.conversation_review import ReviewFilters, ReviewRow, check_review_filters
from aioomi.domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    PageKey,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReviewConversations:
    """An agent's conversations, newest first, that pass the filters.

    Rules: filters as :func:`~aioomi.domain.model.conversation_review.check_review_filters`
    (dates, feedback ``any``/``up``/``down``, ``unanswered``, a search of every word in one
    message; handed-off and has-lead refused until they exist); ``limit`` 1–100, cursors as
    every list; another account's agent is not found. Each row: the first question, the number
    of messages, the outcome of the last answer, the votes."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        filters: ReviewFilters,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[ReviewRow]:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        check_page_size(limit)
        checked = check_review_filters(filters)
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            found = await uow.conversation_review.review(
                principal.workspace_id, agent.id, checked, limit=limit + 1, after=after
            )
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            last = items[-1].session
            next_cursor = encode_cursor(PageKey(created_at=last.created_at, id=last.id))
        return Page(items=items, next_cursor=next_cursor)
