"""The PurgeDeletedAccount use case: one account whose grace period ended."""

from __future__ import annotations

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.privacy.purge_workspace import PurgeWorkspace
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.mailer import Mailer
from aioomi.ports.privacy import KeptMail
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class PurgeDeletedAccount:
    """Erase one account whose grace period ended (:class:`PurgeDeletedAccounts` finds them).

    An account that is not being deleted is left alone.

    Rules, per account, each step idempotent so a crash mid-way is finished by the next run:
    1. every workspace the person alone owns (their own one, and any they created) is erased by
       :class:`~aioomi.domain.usecases.privacy.purge_workspace.PurgeWorkspace`: Stripe, files,
       chunks, logs and jobs, billing records detached (kept 7 years), the workspace row and all
       that cascades; a workspace another person also owns (or was handed over) stays whole;
    2. the person's folder of the blob store (their exports, and what is left of their own
       workspace's files); if they handed their own workspace over, only their exports there
       (the folder holds the new owner's files);
    3. one transaction: the account row and everything that cascades from it (sessions, tokens,
       devices, privacy state, rights audit log, exports, memberships); other workspaces' audit
       logs and invitations keep the event but not who the person was;
    4. every e-mail kept for the address (the outbox folder) removed; then a last e-mail says
       it is done (kept, like any e-mail, until the outbox sweep).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        blobs: BlobStore,
        purge_workspace: PurgeWorkspace,
        mailer: Mailer,
        kept_mail: KeptMail | None = None,
    ) -> None:
        self._uow = uow
        self._blobs = blobs
        self._purge_workspace = purge_workspace
        self._mailer = mailer
        self._kept_mail = kept_mail

    async def __call__(self, account_id: str) -> None:
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.get(account_id)
            doomed = await uow.workspaces.solely_owned_by(account_id)
        if account is None or account.status is not AccountStatus.DELETION_PENDING:
            return
        for workspace_id in doomed:
            await self._purge_workspace(workspace_id)
        # The personal workspace's folder is the person's; once handed over it is the new owner's.
        await self._blobs.delete_prefix(f"{account_id}/" if account_id in doomed else f"{account_id}/exports/")
        async with self._uow(account_id=None) as uow:
            await uow.privacy.erase_account(account_id)
            await uow.commit()
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
