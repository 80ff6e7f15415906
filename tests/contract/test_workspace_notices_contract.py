"""Whom a workspace's e-mail notices reach (issue 21), on memory and on Postgres: its owners
whose account is active and whose e-mail is verified, never the person who merely shares the
workspace's id, never its admins or support members, never anyone outside it. The workspace
here, ``ws_shop``, has an id no account has (created through the store, as ``POST
/api/v1/workspaces`` would)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.billing import Notice
from aioomi.domain.model.handoff import HandoffAction
from aioomi.domain.model.leads import Lead
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.workspaces import Membership, Role, Workspace
from aioomi.domain.usecases.billing.send_billing_notice import SendBillingNotice
from aioomi.domain.usecases.handoff.notify_owner_of_handoff import NotifyOwnerOfHandoff
from aioomi.domain.usecases.leads.notify_new_lead import NotifyNewLead
from aioomi.domain.usecases.webhooks.notify_webhook_disabled import NotifyWebhookDisabled
from tests.contract.test_agent_store_contract import agent
from tests.contract.test_handoff_store_contract import act, new_session
from tests.contract.test_webhook_and_lead_stores_contract import endpoint
from tests.contract.test_workspace_state_contract import PENDING, RESTRICTED, set_status
from tests.contract.test_workspace_store_contract import add_people

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SHOP = "ws_shop"


class SentMail:
    """A mailer that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def take(self) -> list[str]:
        """The recipients since the last call, in sending order."""
        found, self.sent = [m.to for m in self.sent], []
        return found


def mail(account_id: str) -> str:
    return f"{account_id}@example.com"  # the address add_people gives each person


async def set_role(container, account_id: str, role: Role) -> None:
    async with container.uow()(account_id=SHOP) as uow:
        await uow.workspaces.put_member(Membership(workspace_id=SHOP, account_id=account_id, role=role, created_at=T0))
        await uow.commit()


async def a_shop(container) -> tuple[str, Agent]:
    """``ws_shop``: ada owns it, cy answers its leads and handoffs (support), dee is an admin;
    zed is a stranger with a workspace of his own. One agent, one lead; returns the lead's id
    and the agent."""
    await add_people(container, "acct_ada", "acct_bob", "acct_cy", "acct_dee", "acct_zed")
    shop = Workspace(id=SHOP, name="Shop", created_at=T0, updated_at=T0)
    async with container.uow()(account_id=SHOP) as uow:
        await uow.workspaces.add(
            shop, Membership(workspace_id=SHOP, account_id="acct_ada", role=Role.OWNER, created_at=T0)
        )
        for person, role in (("acct_cy", Role.SUPPORT), ("acct_dee", Role.ADMIN)):
            await uow.workspaces.put_member(Membership(workspace_id=SHOP, account_id=person, role=role, created_at=T0))
        helper = agent(SHOP)
        await uow.agents.add(helper)
        await uow.leads.add_lead(
            Lead(
                id="lead_1",
                account_id=SHOP,
                agent_id=helper.id,
                visitor_id="visitor-0123456789abcdef",
                values={"email": "visitor@example.org"},
                consent_text="I agree.",
                privacy_url=None,
                created_at=T0,
            )
        )
        await uow.commit()
    return "lead_1", helper


async def test_a_lead_notice_follows_the_ownership_of_the_workspace(container) -> None:
    lead_id, _ = await a_shop(container)
    mailer = SentMail()
    notify = NotifyNewLead(container.uow(), mailer, "https://aioomi.test")

    assert await notify(SHOP, lead_id) is True
    assert mailer.take() == [mail("acct_ada")]  # the owner only: not cy (support), dee (admin), zed

    # ada transfers the workspace to bob and stays as an admin: the notice follows the ownership.
    await set_role(container, "acct_bob", Role.OWNER)
    await set_role(container, "acct_ada", Role.ADMIN)
    assert await notify(SHOP, lead_id) is True
    assert mailer.take() == [mail("acct_bob")]

    # Two owners (ada made owner again): both are told, oldest membership first.
    await set_role(container, "acct_ada", Role.OWNER)
    assert await notify(SHOP, lead_id) is True
    assert mailer.take() == [mail("acct_ada"), mail("acct_bob")]


async def test_a_lead_notice_skips_owners_who_are_not_active_and_a_workspace_with_none(container) -> None:
    lead_id, _ = await a_shop(container)
    await set_role(container, "acct_bob", Role.OWNER)
    mailer = SentMail()
    notify = NotifyNewLead(container.uow(), mailer, "https://aioomi.test")

    await set_status(container, "acct_ada", RESTRICTED)
    assert await notify(SHOP, lead_id) is True
    assert mailer.take() == [mail("acct_bob")]

    await set_status(container, "acct_bob", PENDING)
    assert await notify(SHOP, lead_id) is False  # no active owner left: nobody, not the admin
    assert mailer.take() == []


async def test_billing_notices_go_to_every_owner_and_only_to_owners(container) -> None:
    await a_shop(container)
    await set_role(container, "acct_bob", Role.OWNER)
    mailer = SentMail()
    send = SendBillingNotice(container.uow(), mailer)

    assert await send(SHOP, str(Notice.PAYMENT_FAILED), "2026-03-15T00:00:00+00:00") is True
    sent = list(mailer.sent)
    assert mailer.take() == [mail("acct_ada"), mail("acct_bob")]
    assert {m.kind for m in sent} == {"billing_payment_failed"}
    assert "15 March 2026" in sent[0].text

    # The person who shares the id of their own workspace gets its notices, not the shop's.
    assert await send("acct_zed", str(Notice.DOWNGRADED)) is True
    assert mailer.take() == [mail("acct_zed")]


async def test_a_handoff_notice_reaches_the_owners_not_the_support_seat(container) -> None:
    _, helper = await a_shop(container)
    await set_role(container, "acct_bob", Role.OWNER)
    mailer = SentMail()
    notify = NotifyOwnerOfHandoff(container.uow(), mailer, Links(base_url="https://aioomi.test"))
    session = await new_session(container, helper)
    await act(container, session, HandoffAction.REQUEST, T0 + timedelta(seconds=1))

    assert await notify(SHOP, session.id) == "sent"
    sent = list(mailer.sent)
    assert mailer.take() == [mail("acct_ada"), mail("acct_bob")]  # not cy (support), dee (admin) or zed
    assert [m.kind for m in sent] == ["handoff_requested", "handoff_requested"]
    assert "https://aioomi.test/dashboard/inbox" in sent[0].text


async def test_a_webhook_switched_off_is_told_to_the_new_owner_after_a_transfer(container) -> None:
    await a_shop(container)
    async with container.uow()(account_id=SHOP) as uow:
        await uow.webhooks.add_endpoint(endpoint(SHOP, "whe_shop", ("lead.created",), enabled=False))
        await uow.commit()
    await set_role(container, "acct_bob", Role.OWNER)
    await set_role(container, "acct_ada", Role.VIEWER)
    mailer = SentMail()
    notify = NotifyWebhookDisabled(container.uow(), mailer, "https://aioomi.test")

    assert await notify(SHOP, "whe_shop") is True
    sent = list(mailer.sent)
    assert mailer.take() == [mail("acct_bob")]
    assert "https://aioomi.test/dashboard/webhooks/whe_shop" in sent[0].text
