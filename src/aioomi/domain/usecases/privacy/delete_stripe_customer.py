"""The DeleteStripeCustomer use case."""

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
from aioomi.domain.usecases.privacy.retention_support import delete_stripe_customer


class DeleteStripeCustomer:
    """The worker's retry of the purge's Stripe step when Stripe was down: cancel the
    subscription and delete the customer (ids only, no personal data in the job). Raises
    ``Unavailable`` while Stripe is down, so the job is retried with backoff."""

    def __init__(self, gateway: PaymentGateway | None) -> None:
        self._gateway = gateway

    async def __call__(self, subscription_id: str | None, customer_id: str | None) -> dict[str, bool]:
        if self._gateway is None:
            return {"skipped": True}
        await delete_stripe_customer(self._gateway, subscription_id or None, customer_id or None)
        return {"deleted": True}
