"""NotifyNewLead: e-mail the owner that a visitor left their details."""

from __future__ import annotations

from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.workspaces.support import workspace_owners
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class NotifyNewLead:
    """Send the workspace's owners the lead's values and a link to the dashboard's leads page
    (run as a job: a relay that is down is retried). Nothing is sent for a lead deleted
    meanwhile, nor for a workspace with no owner left."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer, base_url: str) -> None:
        self._uow = uow
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")

    async def __call__(self, account_id: str, lead_id: str) -> bool:
        async with self._uow(account_id=account_id) as uow:
            lead = await uow.leads.get_lead(account_id, lead_id)
            agent = await uow.agents.get(account_id, lead.agent_id) if lead is not None else None
        owners = await workspace_owners(self._uow, account_id) if lead is not None else []
        if lead is None or not owners:
            return False
        lines = "\n".join(f"  {key}: {value}" for key, value in lead.values.items())
        name = agent.name if agent is not None else "your assistant"
        for account in owners:
            await self._mailer.send(
                EmailMessage(
                    to=account.email,
                    subject=f"New lead from {name}",
                    kind="lead_created",
                    text=(
                        f"Hello {account.full_name or account.email},\n\nA visitor left their details with {name}:"
                        f"\n\n{lines}\n\nSee every lead: {self._base_url}/dashboard/leads\n\n-- Aioomi\n"
                    ),
                )
            )
        return True
