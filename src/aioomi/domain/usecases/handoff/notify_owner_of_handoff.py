"""NotifyOwnerOfHandoff: the e-mail an owner gets when a visitor asks for a person."""

from __future__ import annotations

from aioomi.domain.model.handoff import HandoffState
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.workspaces.support import workspace_owners
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class NotifyOwnerOfHandoff:
    """Mail the owner that a visitor is waiting (the ``handoff.notify_owner`` job, enqueued with
    the request in its unit of work, so a request that rolled back mails no one).

    Rules: nothing when the conversation is no longer waiting (taken, handed back, expired or
    deleted by then) or the workspace has no owner left (deleted, or its owners erased); each owner of the
    workspace gets the mail; the mail names the agent and links to the inbox,
    and quotes nothing the visitor wrote (their words stay in the dashboard)."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer, links: Links) -> None:
        self._uow = uow
        self._mailer = mailer
        self._links = links

    async def __call__(self, account_id: str, session_id: str) -> str:
        async with self._uow(account_id=account_id) as uow:
            session = await uow.chat_sessions.get(account_id, session_id)
            if session is None or session.handoff is not HandoffState.WAITING:
                return "skipped"
            agent = await uow.agents.get(account_id, session.agent_id)
        owners = await workspace_owners(self._uow, account_id)
        if not owners:
            return "skipped"
        name = agent.name if agent is not None else "your assistant"
        inbox = self._links.base_url.rstrip("/") + "/dashboard/inbox"
        for account in owners:
            await self._mailer.send(
                EmailMessage(
                    to=account.email,
                    kind="handoff_requested",
                    subject=f"A visitor is waiting to talk to a person ({name})",
                    text=(
                        f"Hello {account.full_name},\n\nA visitor chatting with {name} asked to talk to a person. "
                        f"Take the conversation in your inbox: {inbox}\n\nIf no one takes it in time, the visitor is "
                        "told that no one is available and the assistant carries on.\n"
                    ),
                )
            )
        return "sent"
