"""NotifyNewLead: e-mail the workspace's owners that a visitor left their details."""

from __future__ import annotations

from aioomi.domain.model.mail import EmailMessage
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class NotifyNewLead:
    """Send the workspace's owners the lead's values and a link to the dashboard's leads page
    (run as a job: a relay that is down is retried).

    Rules:
    - one mail to each owner whose account is active and whose e-mail is verified
      (``owner_contacts``); admins and support members see leads in the dashboard and get no
      mail (docs/teams.md); nobody outside the workspace;
    - nothing is sent for a lead deleted meanwhile, nor for a workspace with no such owner."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer, base_url: str) -> None:
        self._uow = uow
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")

    async def __call__(self, account_id: str, lead_id: str) -> bool:
        async with self._uow(account_id=account_id) as uow:
            owners = await uow.workspaces.owner_contacts(account_id)
            lead = await uow.leads.get_lead(account_id, lead_id)
            agent = await uow.agents.get(account_id, lead.agent_id) if lead is not None else None
        if not owners or lead is None:
            return False
        lines = "\n".join(f"  {key}: {value}" for key, value in lead.values.items())
        name = agent.name if agent is not None else "your assistant"
        for owner in owners:
            await self._mailer.send(
                EmailMessage(
                    to=owner.email,
                    subject=f"New lead from {name}",
                    kind="lead_created",
                    text=(
                        f"Hello {owner.greeting_name},\n\nA visitor left their details with {name}:\n\n"
                        f"{lines}\n\nSee every lead: {self._base_url}/dashboard/leads\n\n-- Aioomi\n"
                    ),
                )
            )
        return True
