"""The IssueExportLink use case."""

from __future__ import annotations

import secrets
from datetime import datetime

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    EXPORT_LINK_TTL,
    ExportNotReady,
    ExportStatus,
)
from aioomi.domain.model.secrets import hash_token
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ExportLink(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    expires_at: datetime


class IssueExportLink:
    """A download link for a ready export, valid ``EXPORT_LINK_TTL``; a new link voids the last."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, base_url: str) -> None:
        self._uow = uow
        self._clock = clock
        self._base_url = base_url.rstrip("/")

    async def __call__(self, principal: Principal, export_id: str) -> ExportLink:
        now = self._clock.now()
        token = secrets.token_urlsafe(32)
        async with self._uow(account_id=principal.account_id) as uow:
            export = await uow.privacy.get_export(principal.account_id, export_id)
            if export is None:
                raise NotFound("No such export.", code="export_not_found")
            if export.status is not ExportStatus.READY:
                raise ExportNotReady(f"The export is {export.status}.")
            updated = msgspec.structs.replace(
                export, link_hash=hash_token(token), link_expires_at=now + EXPORT_LINK_TTL
            )
            await uow.privacy.update_export(updated)
            await uow.commit()
        return ExportLink(
            url=f"{self._base_url}/api/v1/account/exports/download?token={token}", expires_at=now + EXPORT_LINK_TTL
        )
