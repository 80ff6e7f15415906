"""The SetChatRetention use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    RightsAction,
    check_chat_retention_days,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.privacy.support import record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SetChatRetention:
    """An agent keeps its conversations for ``days`` (1–365, and never past 12 months), or,
    with ``None``, the policy's 12 months. Audited. An agent of another account is
    ``agent_not_found``; bad ``days`` is refused before anything is written."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, days: int | None) -> int | None:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        check_chat_retention_days(days)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            if await uow.agents.get(principal.workspace_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            await uow.privacy.set_chat_retention(principal.workspace_id, agent_id, days)
            await record(
                uow, principal.workspace_id, RightsAction.CHAT_RETENTION_SET, now, agent_id=agent_id, days=days
            )
            await uow.commit()
        return days
