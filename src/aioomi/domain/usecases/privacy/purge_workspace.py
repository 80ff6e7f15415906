"""The PurgeWorkspace use case: the erasure of one workspace, shared by the account purge and
the deletion of a workspace."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.usecases.privacy.retention_support import (
    DELETE_STRIPE_CUSTOMER,
    STRIPE_RETRY_ATTEMPTS,
    DeleteStripeCustomerPayload,
    delete_stripe_customer,
)
from aioomi.domain.usecases.privacy.support import every_agent
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class WorkspacePurged(msgspec.Struct, frozen=True, kw_only=True):
    """What went: rows (database and operational records) and files."""

    workspace_id: str
    rows: int
    files: int
    stripe_retry: bool


class PurgeWorkspace:
    """Erase one workspace and everything in it, for good (the erasure purge's steps for a
    workspace: :class:`~aioomi.domain.usecases.privacy.purge_deleted_account.PurgeDeletedAccount`
    runs it for each workspace the erased person alone owns; the ``workspaces.purge`` job runs it
    for a deleted workspace).

    Rules, each step idempotent, so a crash mid-way is finished by the next run:
    1. Stripe: the subscription cancelled and the customer deleted; if Stripe cannot be
       reached, a retried job (``privacy.delete_stripe_customer``, Stripe ids only) finishes it
       later: an outage never holds back the purge;
    2. files: the originals of every agent's documents (``<workspace>/<agent>/``), the archives
       of the workspace's exports (kept in the asking owner's folder), and the whole folder of a
       workspace whose id is no person's (a personal workspace's folder also holds its person's
       exports, which stay with the person);
    3. the chunk store, request log and jobs naming the workspace;
    4. one transaction: billing records detached (kept 7 years under a one-way reference),
       Stripe events and billing runs naming it deleted, then the workspace row and everything
       that cascades from it (agents, knowledge, conversations, leads, usage, billing state,
       API keys, webhooks, members, invitations, its audit log, its exports' rows);
    5. step 3 again: a job or log row written meanwhile.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, records: OperationalRecords, blobs: BlobStore, gateway: PaymentGateway | None
    ) -> None:
        self._uow = uow
        self._records = records
        self._blobs = blobs
        self._gateway = gateway

    async def __call__(self, workspace_id: str) -> WorkspacePurged:
        async with self._uow(account_id=None, read_only=True) as uow:
            billing = await uow.billing.get_account(workspace_id)
            agents = [agent.id async for agent in every_agent(uow, workspace_id)]
            personal = await uow.accounts.get(workspace_id) is not None
            exports = [e.blob_key for e in await uow.privacy.workspace_exports(workspace_id) if e.blob_key]
        stripe_left: DeleteStripeCustomerPayload | None = None
        if self._gateway is not None and billing is not None and (billing.subscription_id or billing.customer_id):
            try:
                await delete_stripe_customer(self._gateway, billing.subscription_id, billing.customer_id)
            except AioomiError:
                stripe_left = DeleteStripeCustomerPayload(
                    subscription_id=billing.subscription_id or "", customer_id=billing.customer_id or ""
                )
        files = 0
        for agent_id in agents:
            files += await self._blobs.delete_prefix(f"{workspace_id}/{agent_id}/")
        for key in exports:  # kept in the asking owner's folder; the rows cascade with the workspace
            files += int(await self._blobs.delete(key))
        if not personal:
            files += await self._blobs.delete_prefix(f"{workspace_id}/")
        rows = await self._records.erase_account(workspace_id)
        async with self._uow(account_id=None) as uow:
            await uow.billing.detach_records(workspace_id)
            rows += await uow.privacy.erase_workspace(workspace_id)
            if stripe_left is not None:
                await uow.jobs.enqueue(
                    NewJob(
                        kind=DELETE_STRIPE_CUSTOMER,
                        payload=msgspec.to_builtins(stripe_left),
                        dedupe_key=f"{DELETE_STRIPE_CUSTOMER}:{stripe_left.customer_id}:{stripe_left.subscription_id}",
                        max_attempts=STRIPE_RETRY_ATTEMPTS,
                    )
                )
            await uow.commit()
        rows += await self._records.erase_account(workspace_id)  # a job or log row written meanwhile
        return WorkspacePurged(workspace_id=workspace_id, rows=rows, files=files, stripe_retry=stripe_left is not None)
