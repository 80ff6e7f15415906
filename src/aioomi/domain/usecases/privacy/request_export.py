"""The RequestExport use case."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.privacy import (
    EXPORT_RETENTION,
    DataExport,
    ExportStatus,
    RightsAction,
)
from aioomi.domain.usecases.privacy.support import _own_account, record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

BUILD_EXPORT = "privacy.build_export"


class BuildExportPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The payload of a ``privacy.build_export`` job (JSON in the job queue)."""

    account_id: str
    export_id: str


async def queue_export(
    uow: UnitOfWork, account_id: str, workspace_id: str | None, now: datetime
) -> tuple[DataExport, bool]:
    """The person's export being built (of their own data, or of ``workspace_id``'s), or a new
    one queued with its ``privacy.build_export`` job; ``True`` when it is new."""
    for existing in await uow.privacy.list_exports(account_id, 10):
        if existing.status is ExportStatus.QUEUED and existing.workspace_id == workspace_id:
            return existing, False
    export = DataExport(
        id=new_id("exp"),
        account_id=account_id,
        workspace_id=workspace_id,
        status=ExportStatus.QUEUED,
        created_at=now,
        expires_at=now + EXPORT_RETENTION,
    )
    await uow.privacy.add_export(export)
    await uow.jobs.enqueue(
        NewJob(
            kind=BUILD_EXPORT,
            payload=msgspec.to_builtins(BuildExportPayload(account_id=account_id, export_id=export.id)),
            dedupe_key=f"{BUILD_EXPORT}:{export.id}",
        )
    )
    return export, True


class RequestExport:
    """Art. 15 and 20: ask for an archive of everything held about the person (their account,
    sessions, consents, rights log, memberships); the worker builds it and e-mails when it is
    ready. An export already being built is returned instead of a second one. A workspace's data
    is exported apart, by an owner
    (:class:`~aioomi.domain.usecases.privacy.request_workspace_export.RequestWorkspaceExport`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal) -> DataExport:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            await _own_account(uow, principal.account_id)
            export, new = await queue_export(uow, principal.account_id, None, now)
            if not new:
                return export
            await record(uow, principal.account_id, RightsAction.EXPORT_REQUESTED, now, export_id=export.id)
            await uow.commit()
        return export
