"""The CreateWorkspace use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal, SessionRequired
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.workspaces import WORKSPACE_ID_PREFIX, Workspace, ensure_may_own_another, new_workspace
from aioomi.domain.usecases.workspaces.support import audit_as
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CreateWorkspace:
    """The signed-in person creates another workspace and becomes its owner.

    Rules: a browser session only (``session_required``: an API key belongs to one workspace);
    any role may create one (it is the person's own new tenant, not a right in the workspace they
    act in); the name is 1 to 100 characters (``invalid_workspace_name``); the new workspace has
    a new id (``ws_…``, never an account's); a person owns at most ``max_owned`` workspaces,
    their own one included (``too_many_workspaces``, 409), so sign-ups cannot create unbounded
    tenants; it starts like a new account's: no agents, the free plan (no billing row until a
    checkout), its own usage allowance; audited in the new workspace's log. The session keeps
    acting where it was until the person switches.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, max_owned: int) -> None:
        self._uow = uow
        self._clock = clock
        self._max_owned = max_owned

    async def __call__(self, principal: Principal, name: str) -> Workspace:
        if principal.session_id is None:
            raise SessionRequired("Only a signed-in browser session creates workspaces.")
        now = self._clock.now()
        workspace, owner = new_workspace(new_id(WORKSPACE_ID_PREFIX), principal.account_id, name, now)
        async with self._uow(account_id=None) as uow:
            await uow.workspaces.lock_person(principal.account_id)
            ensure_may_own_another(await uow.workspaces.memberships_of(principal.account_id), self._max_owned)
            await uow.workspaces.add(workspace, owner)
            await audit_as(
                uow, workspace.id, principal.account_id, "workspace.created", now, workspace.id, name=workspace.name
            )
            await uow.commit()
        return workspace
