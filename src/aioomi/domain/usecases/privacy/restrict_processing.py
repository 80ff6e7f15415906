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
from aioomi.domain.model.workspaces import Role
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.domain.usecases.privacy.support import (
    _own_account,
    every_agent,
    owned_workspaces,
    quiet_request_logs,
    record,
)
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class RestrictProcessing:
    """Art. 18: restrict processing, or lift the restriction.

    Rules:
    - the restriction is the person's; a workspace follows its owners (``workspace_status``):
      while **every** owner of a workspace is restricted (or being erased), its data is kept
      but its agents do not answer (``agent_restricted``), its documents are not ingested (the
      ingestion job waits; lifting re-queues it), nothing is sent to OpenAI, and its request log
      keeps no workspace or IP (``request_log_may_name``); a workspace with another active
      owner goes on serving;
    - lifting makes the account active again and queues the documents that waited in every
      workspace the person owns;
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
            lifted = False
            if restrict and state.restricted_at is None:
                state = msgspec.structs.replace(state, restricted_at=now)
                await uow.accounts.update(account.restrict(now))
                await record(uow, account.id, RightsAction.RESTRICTED, now)
            elif not restrict and state.restricted_at is not None:
                state = msgspec.structs.replace(state, restricted_at=None)
                await uow.accounts.update(account.lift_restriction(now))
                await record(uow, account.id, RightsAction.RESTRICTION_LIFTED, now)
                lifted = True
                own = await uow.workspaces.membership(account.id, account.id)
                if own is not None and own.role is Role.OWNER:  # their own workspace, in this transaction
                    await _requeue_waiting_documents(uow, account.id)
            await uow.privacy.save_state(state)
            await uow.commit()
        if restrict:
            await quiet_request_logs(self._uow, self._records, principal.account_id)
        elif lifted:
            # The other workspaces this person owns serve again too (``workspace_status``).
            for workspace_id in await owned_workspaces(self._uow, principal.account_id):
                if workspace_id != account.id:
                    async with self._uow(account_id=workspace_id) as uow:
                        await _requeue_waiting_documents(uow, workspace_id)
                        await uow.commit()
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
