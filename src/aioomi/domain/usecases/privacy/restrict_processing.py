"""RestrictProcessing: Art. 18: restrict processing, or lift the restriction."""

from __future__ import annotations

import secrets

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentStatus
from aioomi.domain.model.privacy import (
    PrivacyState,
    RightsAction,
)
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.domain.usecases.privacy.support import _own_account, every_agent, record
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class RestrictProcessing:
    """Art. 18: restrict processing, or lift the restriction.

    Rules:
    - while restricted, the data is kept but the agents do not answer (the chat path refuses
      any owner whose account is not ``active``), documents are not ingested (the ingestion
      job waits; lifting re-queues it), nothing is sent to OpenAI, and the request log keeps no
      account or IP for the account (no analytics);
    - lifting makes the account active again and queues the documents that waited;
    - both are idempotent and audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, records: OperationalRecords) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records

    async def __call__(self, principal: Principal, *, restrict: bool) -> PrivacyState:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
            if restrict and state.restricted_at is None:
                state = msgspec.structs.replace(state, restricted_at=now)
                await uow.accounts.update(account.restrict(now))
                await record(uow, account.id, RightsAction.RESTRICTED, now)
            elif not restrict and state.restricted_at is not None:
                state = msgspec.structs.replace(state, restricted_at=None)
                await uow.accounts.update(account.lift_restriction(now))
                await record(uow, account.id, RightsAction.RESTRICTION_LIFTED, now)
                await _requeue_waiting_documents(uow, account.id)
            await uow.privacy.save_state(state)
            await uow.commit()
        if restrict:
            await self._records.anonymize_request_log([principal.account_id])
        return state


async def _requeue_waiting_documents(uow: UnitOfWork, account_id: str) -> None:
    async for agent in every_agent(uow, account_id):
        for document in await uow.documents.list_all(account_id, agent.id):
            if document.status is DocumentStatus.QUEUED:
                await uow.jobs.enqueue(
                    msgspec.structs.replace(
                        ingest_job(document),
                        dedupe_key=f"{ingest_job(document).dedupe_key}:lifted:{secrets.token_hex(4)}",
                    )
                )
