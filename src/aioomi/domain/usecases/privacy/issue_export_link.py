"""The IssueExportLink use case."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any, BinaryIO
import msgspec
from aioomi.domain.model.accounts import Account, AccountStatus, InvalidToken, Principal
from aioomi.domain.model.documents import DocumentStatus
from aioomi.domain.model.errors import AioomiError, NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.pagination import PageKey
from aioomi.domain.model.privacy import (
    EXPORT_LINK_TTL,
    EXPORT_RETENTION,
    FRESH_SESSION,
    AuditEvent,
    DataExport,
    ExportNotReady,
    ExportStatus,
    PrivacyState,
    ReauthenticationRequired,
    RightsAction,
    check_chat_retention_days,
    check_deletion_grace,
    export_blob_key,
)
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.export_archive import write_export_archive
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.request_log import RequestLog
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


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
            updated = msgspec.structs.replace(export, link_hash=hash_token(token), link_expires_at=now + EXPORT_LINK_TTL)
            await uow.privacy.update_export(updated)
            await uow.commit()
        return ExportLink(url=f"{self._base_url}/api/v1/account/exports/download?token={token}",
                          expires_at=now + EXPORT_LINK_TTL)
