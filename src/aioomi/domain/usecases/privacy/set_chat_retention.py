"""The SetChatRetention use case."""

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
from aioomi.domain.usecases.privacy.support import record


class SetChatRetention:
    """An agent keeps its conversations for ``days`` (1–365, and never past 12 months), or,
    with ``None``, the policy's 12 months. Audited."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def get(self, principal: Principal, agent_id: str) -> int | None:
        async with self._uow(account_id=principal.account_id) as uow:
            if await uow.agents.get(principal.account_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            return await uow.privacy.get_chat_retention(principal.account_id, agent_id)

    async def __call__(self, principal: Principal, agent_id: str, days: int | None) -> int | None:
        check_chat_retention_days(days)
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            if await uow.agents.get(principal.account_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            await uow.privacy.set_chat_retention(principal.account_id, agent_id, days)
            await record(uow, principal.account_id, RightsAction.CHAT_RETENTION_SET, now, agent_id=agent_id, days=days)
            await uow.commit()
        return days
