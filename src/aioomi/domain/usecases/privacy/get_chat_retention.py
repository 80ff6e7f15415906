"""The GetChatRetention use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetChatRetention:
    """How many days an agent keeps its conversations; ``None``: the policy's 12 months.

    Rules: only the owner's agents (another account's, or an unknown id: ``agent_not_found``).
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> int | None:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            if await uow.agents.get(principal.workspace_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            return await uow.privacy.get_chat_retention(principal.workspace_id, agent_id)
