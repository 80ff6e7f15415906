"""The DeleteWorkspace use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal, SessionRequired
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.privacy import RightsAction
from aioomi.domain.model.workspaces import (
    LastWorkspace,
    NoWorkspace,
    Permission,
    check_deletion_confirmation,
    ensure_permitted,
    is_workspace_id,
)
from aioomi.domain.usecases.privacy.support import record
from aioomi.domain.usecases.workspaces.support import audit_as
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory

PURGE_WORKSPACE = "workspaces.purge"


class PurgeWorkspacePayload(msgspec.Struct, frozen=True, kw_only=True):
    """The payload of a ``workspaces.purge`` job (JSON in the job queue)."""

    workspace_id: str


class DeleteWorkspace:
    """An owner deletes a workspace for good.

    Rules:
    - a browser session whose person gave their password recently (the route asks
      :class:`~aioomi.domain.usecases.accounts.require_recent_session.RequireRecentSession`;
      ``session_required`` here too): an API key never deletes a workspace;
    - only a member (else ``not_a_member``, the same for one that does not exist) whose role
      there may delete it: owners (``forbidden_by_role``);
    - the workspace's name typed to confirm (``workspace_name_mismatch``, 422);
    - the person keeps at least one other workspace (``last_workspace``, 409): to close the last
      one, they delete their account (the privacy page), which erases it with them;
    - at once, in one transaction: every membership goes, so members' sessions that acted in it
      act in their own workspace from their next request and its API keys are refused; the
      deletion is recorded in the deleting person's rights audit log (which outlives the
      workspace) and in the workspace's own log; the ``workspaces.purge`` job is queued;
    - the worker's job erases it with
      :class:`~aioomi.domain.usecases.privacy.purge_workspace.PurgeWorkspace`, the erasure
      purge's steps (Stripe cancelled and the customer deleted, files, chunks, logs, billing
      records detached and kept 7 years, the row and all that cascades), within seconds.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, workspace_id: str, confirm_name: str) -> None:
        if principal.session_id is None:
            raise SessionRequired("Only a signed-in browser session deletes a workspace.")
        now = self._clock.now()
        if not is_workspace_id(workspace_id):
            raise NoWorkspace("You are not a member of that workspace.")
        async with self._uow(account_id=None) as uow:
            mine = await uow.workspaces.memberships_of(principal.account_id)
            membership = next((m for m in mine if m.workspace_id == workspace_id), None)
            workspace = await uow.workspaces.get(workspace_id)
            if membership is None or workspace is None:
                raise NoWorkspace("You are not a member of that workspace.")
            ensure_permitted(membership, Permission.DELETE_WORKSPACE)
            check_deletion_confirmation(workspace, confirm_name)
            if len(mine) < 2:
                raise LastWorkspace(
                    "This is your only workspace: delete your account instead (Account, privacy), "
                    "which erases it with you."
                )
            for member in await uow.workspaces.members(workspace_id):
                await uow.workspaces.remove_member(workspace_id, member.account_id)
            await audit_as(uow, workspace_id, principal.account_id, "workspace.deleted", now, workspace_id)
            await record(
                uow,
                principal.account_id,
                RightsAction.WORKSPACE_DELETED,
                now,
                workspace_id=workspace_id,
                name=workspace.name,
            )
            await uow.jobs.enqueue(
                NewJob(
                    kind=PURGE_WORKSPACE,
                    payload=msgspec.to_builtins(PurgeWorkspacePayload(workspace_id=workspace_id)),
                    dedupe_key=f"{PURGE_WORKSPACE}:{workspace_id}",
                )
            )
            await uow.commit()
