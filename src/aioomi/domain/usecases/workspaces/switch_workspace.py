"""The SwitchWorkspace use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal, SessionRequired
from aioomi.domain.model.workspaces import NoWorkspace, Role
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SwitchWorkspace:
    """The signed-in person chooses the workspace their session acts in.

    Rules: a browser session only (an API key belongs to one workspace); only a workspace the
    person is a member of (else ``not_a_member``, the same for one that does not exist); the
    choice is stored on the session, and every later request reads the membership again, so a
    removal takes effect at once. Returns the role the person has there.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, workspace_id: str) -> Role:
        if principal.session_id is None:
            raise SessionRequired("Only a signed-in browser session switches workspaces.")
        async with self._uow(account_id=None) as uow:
            membership = await uow.workspaces.membership(workspace_id, principal.account_id)
            if membership is None:
                raise NoWorkspace("You are not a member of that workspace.")
            if not await uow.sessions.choose_workspace(principal.account_id, principal.session_id, workspace_id):
                raise NoWorkspace("You are not a member of that workspace.")
            await uow.commit()
        return membership.role
