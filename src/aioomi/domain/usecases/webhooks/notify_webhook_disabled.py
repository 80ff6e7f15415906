"""NotifyWebhookDisabled: tell the owner an endpoint was switched off for failing."""

from __future__ import annotations

from aioomi.domain.model.mail import EmailMessage
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory

TEXT = """Hello {name},

Aioomi stopped sending webhooks to this endpoint of your account, because nothing sent to it
has succeeded for three days:

  {url}

Events are no longer sent there. When the endpoint works again, switch it back on, and
redeliver what it missed, from the dashboard:

  {dashboard}

-- Aioomi
"""


class NotifyWebhookDisabled:
    """E-mail the owner that an endpoint was switched off (run as a job, so a mail relay that
    is down is retried). Nothing is sent when the account or the endpoint is gone, or when the
    endpoint was switched on again meanwhile."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer, base_url: str) -> None:
        self._uow = uow
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")

    async def __call__(self, account_id: str, endpoint_id: str) -> bool:
        async with self._uow(account_id=account_id) as uow:
            account = await uow.accounts.get(account_id)
            endpoint = await uow.webhooks.get_endpoint(account_id, endpoint_id)
        if account is None or endpoint is None or endpoint.enabled:
            return False
        await self._mailer.send(
            EmailMessage(
                to=account.email,
                subject="A webhook endpoint was switched off",
                kind="webhook_disabled",
                text=TEXT.format(
                    name=account.full_name or account.email,
                    url=endpoint.url,
                    dashboard=f"{self._base_url}/dashboard/webhooks/{endpoint.id}",
                ),
            )
        )
        return True
