"""IngestUnlessRestricted: The ingestion job, as the privacy policy allows it."""

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
from aioomi.domain.usecases.privacy.restrict_processing import RestrictProcessing
from aioomi.domain.usecases.knowledge.ingest_document import IngestDocument
from aioomi.domain.usecases.privacy.support import DEFERRED_WHILE_RESTRICTED, processing_allowed


class IngestUnlessRestricted:
    """The ingestion job, as the privacy policy allows it.

    Rules: ingestion sends a document's text to the embedder (OpenAI when configured); while the
    owner restricts processing (Art. 18) or the account is being erased, nothing is done and the
    document stays ``queued`` (no embedder call); lifting the restriction re-queues it
    (:class:`RestrictProcessing`) and it is ingested then.
    """

    def __init__(self, uow: UnitOfWorkFactory, ingest: IngestDocument) -> None:
        self._uow = uow
        self._ingest = ingest

    async def __call__(self, account_id: str, document_id: str, version: int, attempt: int = 1) -> object:
        async with self._uow(account_id=account_id) as uow:
            allowed = await processing_allowed(uow, account_id)
        if not allowed:
            return dict(DEFERRED_WHILE_RESTRICTED)
        return await self._ingest(account_id, document_id, version, attempt)
