"""The ListDocuments use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    Document,
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
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListDocuments:
    """The agent's documents, newest first, a page at a time (``limit`` 1–100; ``cursor`` the
    previous page's ``next_cursor``)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, principal: Principal, agent_id: str, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> Page[Document]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        check_page_size(limit)
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            found = await uow.documents.list_page(principal.workspace_id, agent.id, limit=limit + 1, after=after)
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(PageKey(created_at=items[-1].created_at, id=items[-1].id))
        return Page(items=items, next_cursor=next_cursor)
