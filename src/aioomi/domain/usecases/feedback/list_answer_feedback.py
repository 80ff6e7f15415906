"""The owner reads what visitors thought of an agent's answers."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.feedback import FeedbackEntry, check_rating
from aioomi.domain.model.pagination import MAX_PAGE_SIZE, check_page_size
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListAnswerFeedback:
    """An agent's rated answers, newest vote first, with the question, the answer and the
    visitor's comment.

    Rules: another account's agent is not found; ``rating`` (``up``/``down``) keeps only those
    votes; ``[since, until)`` bounds the time of the last vote, with a time zone, ``until`` after
    ``since`` (``invalid_range``); ``limit`` 1–100."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        *,
        rating: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = MAX_PAGE_SIZE,
    ) -> list[FeedbackEntry]:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        check_page_size(limit)
        wanted = check_rating(rating) if rating is not None else None
        for name, value in (("from", since), ("to", until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(
                    "Give a time zone (for example 2026-01-31T00:00:00Z).", code="invalid_range", field=name
                )
        if since is not None and until is not None and until <= since:
            raise InvalidInput("`to` must come after `from`.", code="invalid_range", field="to")
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await uow.feedback.list_for_agent(
                principal.workspace_id, agent.id, limit=limit, rating=wanted, since=since, until=until
            )
