"""RetentionReport: The last run of every sweep kind, newest first, for the operator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.documents import document_of
from aioomi.domain.usecases.knowledge.support import document_blob_prefix
from aioomi.domain.model.errors import AioomiError, NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.privacy import (
    ENDED_SESSION_RETENTION,
    EXPORT_RETENTION,
    PENDING_SIGN_IN_RETENTION,
    REQUEST_LOG_RETENTION,
    RETENTION_RUN_HISTORY,
    TOKEN_RETENTION,
    RetentionRun,
    SweepKind,
)
from aioomi.domain.model.retention import SWEEP_BATCH
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.privacy import KeptMail, OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RetentionReport:
    """The last run of every sweep kind, newest first, for the operator."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, limit: int = 50) -> list[RetentionRun]:
        async with self._uow(account_id=None) as uow:
            return await uow.privacy.list_runs(limit)
