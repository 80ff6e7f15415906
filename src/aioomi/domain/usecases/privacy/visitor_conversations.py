"""The VisitorConversations use case."""

from __future__ import annotations

from aioomi.domain.model.chat import check_visitor_id

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
from aioomi.domain.usecases.privacy.support import _PAGE, _agent_conversations, every_agent, record


class VisitorConversations:
    """The owner as controller of their visitors' data: find, export and delete a visitor's
    conversations (hard delete) across the owner's agents by visitor id; export and delete are
    audited. A malformed visitor id (not 16–64 of ``[A-Za-z0-9_-]``) is refused before any
    look-up (``invalid_visitor_id``)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _agents(self, uow: UnitOfWork, account_id: str) -> list[str]:
        return [agent.id async for agent in every_agent(uow, account_id)]

    async def find(self, principal: Principal, visitor_id: str) -> list[Any]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=principal.account_id) as uow:
            found = []
            for agent_id in await self._agents(uow, principal.account_id):
                found.extend(await uow.chat_sessions.list_for_visitor(principal.account_id, agent_id, visitor_id,
                                                                      limit=100_000))
        return found

    async def export(self, principal: Principal, visitor_id: str) -> list[dict[str, Any]]:
        check_visitor_id(visitor_id)
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            out = []
            for agent_id in await self._agents(uow, principal.account_id):
                out.extend(await _agent_conversations(uow, principal.account_id, agent_id, visitor_id))
            leads = await uow.leads.list_for_visitor(principal.account_id, visitor_id)
            out.extend({"lead": msgspec.to_builtins(lead)} for lead in leads)  # the visitor's leads too
            await record(uow, principal.account_id, RightsAction.VISITOR_EXPORTED, now, sessions=len(out) - len(leads))
            await uow.commit()
        return out

    async def delete(self, principal: Principal, visitor_id: str) -> int:
        check_visitor_id(visitor_id)
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            removed = 0
            for agent_id in await self._agents(uow, principal.account_id):
                for session in await uow.chat_sessions.list_for_visitor(principal.account_id, agent_id, visitor_id,
                                                                        limit=100_000):
                    removed += int(await uow.chat_sessions.delete(principal.account_id, session.id))
            await uow.leads.delete_for_visitor(principal.account_id, visitor_id)  # the visitor's leads too
            await record(uow, principal.account_id, RightsAction.VISITOR_DELETED, now, sessions=removed)
            await uow.commit()
        return removed
