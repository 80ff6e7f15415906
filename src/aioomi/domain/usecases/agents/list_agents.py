"""ListAgents: The caller's agents, newest first, a page at a time."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    Agent,
)
from aioomi.domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    PageKey,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListAgents:
    """The caller's agents, newest first, a page at a time.

    Rules: ``limit`` 1–100 (default 20); ``cursor`` is the ``next_cursor`` of the previous page
    (anything else is ``invalid_cursor``); following the cursors lists every agent that exists
    throughout exactly once, whatever is created or deleted meanwhile.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, principal: Principal, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> Page[Agent]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        check_page_size(limit)
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow(account_id=principal.workspace_id) as uow:
            found = await uow.agents.list_page(principal.workspace_id, limit=limit + 1, after=after)
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            last = items[-1]
            next_cursor = encode_cursor(PageKey(created_at=last.created_at, id=last.id))
        return Page(items=items, next_cursor=next_cursor)
