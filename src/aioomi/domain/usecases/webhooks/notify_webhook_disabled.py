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
    """E-mail the workspace's owners that an endpoint was switched off (run as a job, so a mail
    relay that is down is retried). It goes to each owner whose account is active and whose
    e-mail is verified (``owner_contacts``). Nothing is sent when no such owner or the endpoint
    is left, or when the endpoint was switched on again meanwhile."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer, base_url: str) -> None:
        self._uow = uow
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")

    async def __call__(self, account_id: str, endpoint_id: str) -> bool:
        async with self._uow(account_id=account_id) as uow:
            owners = await uow.workspaces.owner_contacts(account_id)
            endpoint = await uow.webhooks.get_endpoint(account_id, endpoint_id)
        if not owners or endpoint is None or endpoint.enabled:
            return False
        for owner in owners:
            await self._mailer.send(
                EmailMessage(
                    to=owner.email,
                    subject="A webhook endpoint was switched off",
                    kind="webhook_disabled",
                    text=TEXT.format(
                        name=owner.greeting_name,
                        url=endpoint.url,
                        dashboard=f"{self._base_url}/dashboard/webhooks/{endpoint.id}",
                    ),
                )
            )
        return True
