"""The RenameWorkspace use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.workspaces import Permission, Workspace, ensure_permitted
from aioomi.domain.usecases.workspaces.support import audit
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RenameWorkspace:
    """Give the workspace the caller acts in a name its members recognise in the switcher.

    Rules: owners and admins (who manage members); 1 to 100 characters, spaces collapsed
    (``invalid_workspace_name``); audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, name: str) -> Workspace:
        ensure_permitted(principal, Permission.MANAGE_MEMBERS)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            workspace = await uow.workspaces.get(principal.workspace_id)
            if workspace is None:
                raise NotFound("No such workspace.", code="workspace_not_found")
            renamed = workspace.renamed(name, now)
            await uow.workspaces.update(renamed)
            await audit(uow, principal, "workspace.renamed", now, workspace.id, name=renamed.name)
            await uow.commit()
        return renamed
