"""The RequestWorkspaceExport use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.privacy import DataExport, RightsAction
from aioomi.domain.model.workspaces import NoWorkspace, Permission, ensure_permitted, is_workspace_id
from aioomi.domain.usecases.privacy.request_export import queue_export
from aioomi.domain.usecases.privacy.support import record
from aioomi.domain.usecases.workspaces.support import audit_as
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RequestWorkspaceExport:
    """Ask for an archive of one workspace's data (agents, knowledge, conversations, leads,
    usage, billing, API keys, webhooks, members, its audit log), apart from the person's own
    export; the worker builds it with the same job as the person's and e-mails when it is ready.

    Rules: only an owner of that workspace (``not_a_member`` when the caller is not in it,
    ``forbidden_by_role`` for other roles: the archive holds the billing and every visitor's
    data); the export belongs to the person who asked (they download it, it is kept 7 days and
    goes with them); an export of the same workspace still being built is returned instead of a
    second one; recorded in the person's rights log and in the workspace's audit log.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, workspace_id: str) -> DataExport:
        now = self._clock.now()
        if not is_workspace_id(workspace_id):
            raise NoWorkspace("You are not a member of that workspace.")
        async with self._uow(account_id=None) as uow:
            membership = await uow.workspaces.membership(workspace_id, principal.account_id)
            if membership is None:
                raise NoWorkspace("You are not a member of that workspace.")
            ensure_permitted(membership, Permission.EXPORT_WORKSPACE)
            export, new = await queue_export(uow, principal.account_id, workspace_id, now)
            if not new:
                return export
            await record(
                uow,
                principal.account_id,
                RightsAction.WORKSPACE_EXPORT_REQUESTED,
                now,
                export_id=export.id,
                workspace_id=workspace_id,
            )
            await audit_as(uow, workspace_id, principal.account_id, "workspace.exported", now, export.id)
            await uow.commit()
        return export
