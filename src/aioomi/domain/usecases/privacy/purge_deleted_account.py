"""The PurgeDeletedAccount use case: one account whose grace period ended."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.privacy.retention_support import delete_stripe_customer
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.mailer import Mailer
from aioomi.ports.privacy import KeptMail, OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory

DELETE_STRIPE_CUSTOMER = "privacy.delete_stripe_customer"


class DeleteStripeCustomerPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The payload of a ``privacy.delete_stripe_customer`` job: what the purge could not delete
    at Stripe (``""``: nothing of that kind)."""

    subscription_id: str = ""
    customer_id: str = ""


STRIPE_RETRY_ATTEMPTS = 30
"""Starts of the Stripe clean-up job (exponential backoff capped at 30 minutes: about 12 hours)."""


class PurgeDeletedAccount:
    """Erase one account whose grace period ended (:class:`PurgeDeletedAccounts` finds them).

    An account that is not being deleted is left alone.

    Rules, per account, each step idempotent so a crash mid-way is finished by the next run:
    1. Stripe: the subscription cancelled and the customer deleted; if Stripe cannot be
       reached, a retried job (``privacy.delete_stripe_customer``, Stripe ids only) finishes it
       later: an outage never holds back the purge of personal data;
    2. files: everything under the account's folder of the blob store (documents, exports);
    3. the chunk store, request log and jobs naming the account;
    Steps 1-3 and the billing records concern the person's own workspace (same id) and run only
    when nobody else owns it: a workspace whose ownership was transferred (or shared) stays whole,
    only the person's exports, account and memberships go (issue 21).
    4. one transaction: billing records detached (kept 7 years under a one-way reference),
       Stripe events naming the account deleted, then the account row and everything that
       cascades from it (sessions, keys, tokens, agents, documents, texts, conversations,
       usage, billing state, privacy state, audit log, exports);
    5. every e-mail kept for the address (the outbox folder) removed; then a last e-mail says
       it is done (kept, like any e-mail, until the outbox sweep).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        records: OperationalRecords,
        blobs: BlobStore,
        gateway: PaymentGateway | None,
        mailer: Mailer,
        kept_mail: KeptMail | None = None,
    ) -> None:
        self._uow = uow
        self._records = records
        self._blobs = blobs
        self._gateway = gateway
        self._mailer = mailer
        self._kept_mail = kept_mail

    async def __call__(self, account_id: str) -> None:
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.get(account_id)
            # Only the workspace with the person's id is erased by this id (its files, chunks,
            # logs, Stripe customer); one they handed over to another owner stays whole.
            doomed = account_id in await uow.workspaces.solely_owned_by(account_id)
            billing = await uow.billing.get_account(account_id) if doomed else None
        if account is None or account.status is not AccountStatus.DELETION_PENDING:
            return
        stripe_left: DeleteStripeCustomerPayload | None = None
        if self._gateway is not None and billing is not None and (billing.subscription_id or billing.customer_id):
            try:
                await delete_stripe_customer(self._gateway, billing.subscription_id, billing.customer_id)
            except AioomiError:
                stripe_left = DeleteStripeCustomerPayload(
                    subscription_id=billing.subscription_id or "", customer_id=billing.customer_id or ""
                )
        if doomed:
            await self._blobs.delete_prefix(f"{account_id}/")
            await self._records.erase_account(account_id)
        else:
            await self._blobs.delete_prefix(f"{account_id}/exports/")  # the person's own exports
        async with self._uow(account_id=None) as uow:
            if doomed:
                await uow.billing.detach_records(account_id)
            await uow.privacy.erase_account(account_id)
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
        if doomed:
            await self._records.erase_account(account_id)  # a job or log row written meanwhile
        if self._kept_mail is not None:
            await self._kept_mail.purge_addressed_to(account.email)
        await self._mailer.send(
            EmailMessage(
                to=account.email,
                kind="account_deleted",
                subject="Your Aioomi account is deleted",
                text=(
                    f"Hello {account.full_name},\n\nYour Aioomi account and its data are deleted. Billing records "
                    "are kept for 7 years, as tax law requires, without your profile.\n"
                ),
            )
        )
