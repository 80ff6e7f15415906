"""NotifyOwnerOfHandoff: the e-mail an owner gets when a visitor asks for a person."""

from __future__ import annotations

from aioomi.domain.model.handoff import HandoffState
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class NotifyOwnerOfHandoff:
    """Mail the owner that a visitor is waiting (the ``handoff.notify_owner`` job, enqueued with
    the request in its unit of work, so a request that rolled back mails no one).

    Rules: one mail to each owner of the workspace whose account is active and whose e-mail is
    verified (``owner_contacts``; admins and support members watch the inbox, docs/teams.md);
    nothing when the conversation is no longer waiting (taken, handed back, expired or deleted
    by then) or no such owner is left; the mail names the agent and links to the inbox, and
    quotes nothing the visitor wrote (their words stay in the dashboard)."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer, links: Links) -> None:
        self._uow = uow
        self._mailer = mailer
        self._links = links

    async def __call__(self, account_id: str, session_id: str) -> str:
        async with self._uow(account_id=account_id) as uow:
            owners = await uow.workspaces.owner_contacts(account_id)
            session = await uow.chat_sessions.get(account_id, session_id)
            if not owners or session is None or session.handoff is not HandoffState.WAITING:
                return "skipped"
            agent = await uow.agents.get(account_id, session.agent_id)
        name = agent.name if agent is not None else "your assistant"
        inbox = self._links.base_url.rstrip("/") + "/dashboard/inbox"
        for owner in owners:
            await self._mailer.send(
                EmailMessage(
                    to=owner.email,
                    kind="handoff_requested",
                    subject=f"A visitor is waiting to talk to a person ({name})",
                    text=(
                        f"Hello {owner.greeting_name},\n\nA visitor chatting with {name} asked to talk to a person. "
                        f"Take the conversation in your inbox: {inbox}\n\nIf no one takes it in time, the visitor "
                        "is told that no one is available and the assistant carries on.\n"
                    ),
                )
            )
        return "sent"
