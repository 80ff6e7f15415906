"""The SendBillingNotice use case."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.billing import (
    Notice,
)
from aioomi.domain.model.mail import EmailMessage
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
    """E-mail the workspace's owners one step of a payment failure.

    Rules:
    - it goes to every owner of the workspace whose account is active and whose e-mail is
      verified (``owner_contacts``), never to admins or other members, nor to the person who
      merely shares the workspace's id;
    - a workspace with no such owner (erased, restricted) gets nothing;
    - a mail failure raises, so the job retries (owners already mailed may get it twice)."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer) -> None:
        self._uow = uow
        self._mailer = mailer

    async def __call__(self, account_id: str, notice: str, grace_ends_at: str | None = None) -> bool:
        # ``account_id`` is the workspace (the tenant column's name).
        async with self._uow(account_id=account_id, read_only=True) as uow:
            owners = await uow.workspaces.owner_contacts(account_id)
        if not owners:
            return False
        kind = Notice(notice)
        subject, text = _NOTICES[kind]
        when = datetime.fromisoformat(grace_ends_at).strftime("%d %B %Y") if grace_ends_at else ""
        for owner in owners:
            await self._mailer.send(
                EmailMessage(to=owner.email, subject=subject, text=text.format(grace_ends_at=when), kind=str(kind))
            )
        return True
