"""The ObjectToProcessing use case."""

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
from aioomi.domain.usecases.privacy.support import _own_account, record


class ObjectToProcessing:
    """Art. 21: object to processing based on legitimate interests (usage analytics beyond what
    billing needs), or withdraw the objection.

    Rules: while objecting, the account's API requests are logged without account or IP (the
    request log is then only operational, not analytics about the owner), existing rows are
    anonymised at once and a sweep keeps it so; the token ledger stays (billing needs it).
    Idempotent and audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, records: OperationalRecords) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records

    async def __call__(self, principal: Principal, *, objecting: bool) -> PrivacyState:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
            if objecting and state.objected_at is None:
                state = msgspec.structs.replace(state, objected_at=now)
                await record(uow, account.id, RightsAction.OBJECTED, now, scope="usage_analytics")
            elif not objecting and state.objected_at is not None:
                state = msgspec.structs.replace(state, objected_at=None)
                await record(uow, account.id, RightsAction.OBJECTION_WITHDRAWN, now, scope="usage_analytics")
            await uow.privacy.save_state(state)
            await uow.commit()
        if objecting:
            await self._records.anonymize_request_log([principal.account_id])
        return state
