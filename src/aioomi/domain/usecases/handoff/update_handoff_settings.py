"""UpdateHandoffSettings: the owner changes an agent's handoff settings."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.handoff import HandoffSettings, HandoffSettingsChanges, change_settings
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.handoff.support import settings_of
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class UpdateHandoffSettings:
    """Change some of an agent's handoff settings (fields left out stay as they are).

    Rules: another account's agent is ``agent_not_found``; the result must pass
    :func:`~aioomi.domain.model.handoff.check_handoff_settings` (an IANA time zone, days once
    each, ``opens`` before ``closes``, a wait of 30 s to 1 h), else nothing is stored.
    Conversations already waiting keep waiting under the new maximum wait."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, changes: HandoffSettingsChanges) -> HandoffSettings:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            updated = change_settings(await settings_of(uow, agent.account_id, agent.id), changes)
            await uow.handoffs.save_settings(agent.account_id, agent.id, updated)
            await uow.commit()
        return updated
