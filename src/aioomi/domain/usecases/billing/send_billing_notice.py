"""The SendBillingNotice use case."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.billing import (
    Notice,
)
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.workspaces.support import workspace_owners
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory

_NOTICES = {
    Notice.PAYMENT_FAILED: (
        "Your Aioomi payment failed",
        "We could not collect your latest Aioomi payment.\n\nYour plan stays active until {grace_ends_at}. "
        "Please update your payment method in the billing portal before then; otherwise your account moves "
        "to the free plan.\n",
    ),
    Notice.DOWNGRADED: (
        "Your Aioomi account moved to the free plan",
        "We still could not collect your payment, so your account now uses the free plan and its limits.\n\n"
        "Pay the open invoice in the billing portal to get your plan back.\n",
    ),
    Notice.PAYMENT_RECOVERED: (
        "Your Aioomi payment went through",
        "Thank you: your payment was received and your plan is active again.\n",
    ),
}


class SendBillingNotice:
    """E-mail the workspace's owners one step of a payment failure. Rules: every owner of the
    workspace gets it (billing is the owners'); a deleted workspace, or one whose owners were
    erased, gets nothing; a mail failure raises, so the job retries."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer) -> None:
        self._uow = uow
        self._mailer = mailer

    async def __call__(self, account_id: str, notice: str, grace_ends_at: str | None = None) -> bool:
        emails = [owner.email for owner in await workspace_owners(self._uow, account_id)]
        if not emails:
            return False
        kind = Notice(notice)
        subject, text = _NOTICES[kind]
        when = datetime.fromisoformat(grace_ends_at).strftime("%d %B %Y") if grace_ends_at else ""
        for email in emails:
            await self._mailer.send(
                EmailMessage(to=email, subject=subject, text=text.format(grace_ends_at=when), kind=str(kind))
            )
        return True
