"""The webhook store and the lead store, on the memory and the Postgres adapter alike: the
outbox writes an event only for endpoints that want it (and only at commit), tenants never see
each other's rows, the delivery log is newest first, old events go unless still being
delivered; leads filter by agent, days and text, and the retention purge takes only what is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from aioomi.domain.model.leads import Lead, LeadForm
from aioomi.domain.model.webhooks import DeliveryStatus, WebhookAttempt, WebhookEndpoint, WebhookEvent
from tests.unit.chat_support import VISITOR, account, agent_for, store

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def endpoint(account_id: str, id: str, events: tuple[str, ...], enabled: bool = True) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=id,
        account_id=account_id,
        url=f"https://{id}.example.com/",
        events=events,
        secret="whsec_" + "A" * 44,
        enabled=enabled,
        created_at=T0,
        updated_at=T0,
    )


async def test_the_outbox_writes_an_event_only_for_the_endpoints_that_want_it(container: Any) -> None:
    owner, other = account(), account()
    await store(container, owner)
    await store(container, other)
    uow = container.uow()
    async with uow(account_id=owner.id) as u:
        await u.webhooks.add_endpoint(endpoint(owner.id, "whe_a", ("message.created",)))
        await u.webhooks.add_endpoint(endpoint(owner.id, "whe_b", ("message.created", "lead.created")))
        await u.webhooks.add_endpoint(endpoint(owner.id, "whe_off", ("message.created",), enabled=False))
        await u.commit()
    async with uow(account_id=other.id) as u:
        await u.webhooks.add_endpoint(endpoint(other.id, "whe_other", ("message.created",)))
        await u.commit()
    async with uow(account_id=owner.id) as u:
        for id, type in (("evt_msg", "message.created"), ("evt_lead", "lead.created"), ("evt_none", "source.synced")):
            u.webhooks.emit(WebhookEvent(id=id, account_id=owner.id, type=type, data={"n": id}, created_at=T0))
        assert await u.webhooks.get_event(owner.id, "evt_msg") is None  # not before commit
        await u.commit()
    async with uow(account_id=owner.id) as u:
        assert [d.endpoint_id for d in await u.webhooks.pending_deliveries(owner.id, "evt_msg")] == ["whe_a", "whe_b"]
        assert [d.endpoint_id for d in await u.webhooks.pending_deliveries(owner.id, "evt_lead")] == ["whe_b"]
        assert await u.webhooks.get_event(owner.id, "evt_none") is None
        event = await u.webhooks.get_event(owner.id, "evt_msg")
        assert event is not None and event.data == {"n": "evt_msg"}
        assert [e.id for e in await u.webhooks.list_endpoints(owner.id)] == ["whe_a", "whe_b", "whe_off"]
    async with uow(account_id=other.id) as u:
        assert await u.webhooks.get_event(other.id, "evt_msg") is None
        assert await u.webhooks.get_endpoint(other.id, "whe_a") is None
        assert await u.webhooks.pending_deliveries(other.id, "evt_msg") == []


async def test_the_log_is_newest_first_and_old_settled_events_go_with_it(container: Any) -> None:
    owner = account()
    await store(container, owner)
    uow = container.uow()
    async with uow(account_id=owner.id) as u:
        await u.webhooks.add_endpoint(endpoint(owner.id, "whe_a", ("message.created",)))
        await u.commit()
    async with uow(account_id=owner.id) as u:
        u.webhooks.emit(WebhookEvent(id="evt_old", account_id=owner.id, type="message.created", data={}, created_at=T0))
        u.webhooks.emit(
            WebhookEvent(id="evt_busy", account_id=owner.id, type="message.created", data={}, created_at=T0)
        )
        await u.commit()
    async with uow(account_id=owner.id) as u:
        for n in (1, 2):
            await u.webhooks.add_attempt(
                WebhookAttempt(
                    id=f"wha_{n}",
                    account_id=owner.id,
                    endpoint_id="whe_a",
                    event_id="evt_old",
                    event_type="message.created",
                    number=n,
                    attempted_at=T0 + timedelta(minutes=n),
                    status_code=500 if n == 1 else 200,
                    latency_ms=5,
                    response_excerpt="",
                    error=None,
                    succeeded=n == 2,
                )
            )
        delivery = await u.webhooks.get_delivery(owner.id, "evt_old", "whe_a", for_update=True)
        assert delivery is not None
        await u.webhooks.save_delivery(msgspec.structs.replace(delivery, status=DeliveryStatus.DELIVERED, attempts=2))
        await u.commit()
    async with uow(account_id=owner.id) as u:
        assert [a.number for a in await u.webhooks.list_attempts(owner.id, "whe_a", limit=10)] == [2, 1]
    async with uow(account_id=None) as u:
        assert await u.webhooks.purge_events_before(T0, 100) == 0  # made at T0: not before it
        assert await u.webhooks.purge_events_before(T0 + timedelta(seconds=1), 100) == 1  # evt_busy is pending
        await u.commit()
    async with uow(account_id=owner.id) as u:
        assert await u.webhooks.get_event(owner.id, "evt_old") is None
        assert await u.webhooks.get_event(owner.id, "evt_busy") is not None
        assert await u.webhooks.list_attempts(owner.id, "whe_a", limit=10) == []


def lead(owner_id: str, agent_id: str, id: str, at: datetime, name: str) -> Lead:
    return Lead(
        id=id,
        account_id=owner_id,
        agent_id=agent_id,
        visitor_id=VISITOR,
        values={"name": name},
        consent_text="I agree.",
        privacy_url=None,
        created_at=at,
    )


async def test_leads_filter_and_the_purge_takes_only_what_is_due(container: Any) -> None:
    owner, other = account(), account()
    kept_agent, short_agent, other_agent = agent_for(owner), agent_for(owner, name="Short"), agent_for(other)
    await store(container, owner, kept_agent, short_agent)
    await store(container, other, other_agent)
    uow = container.uow()
    async with uow(account_id=owner.id) as u:
        await u.leads.save_form(
            LeadForm(account_id=owner.id, agent_id=short_agent.id, retention_months=1, updated_at=T0)
        )
        await u.leads.add_lead(lead(owner.id, kept_agent.id, "lead_1", T0, "Ada Lovelace"))
        await u.leads.add_lead(lead(owner.id, short_agent.id, "lead_2", T0 + timedelta(days=1), "Grace Hopper"))
        await u.leads.add_lead(lead(owner.id, kept_agent.id, "lead_3", T0 + timedelta(days=2), "Alan Turing"))
        await u.commit()
    async with uow(account_id=other.id) as u:
        await u.leads.add_lead(lead(other.id, other_agent.id, "lead_x", T0, "Ada Other"))
        await u.commit()
    async with uow(account_id=owner.id) as u:
        ids = lambda found: [x.id for x in found]  # noqa: E731 - a one-line helper local to the test
        assert ids(await u.leads.list_leads(owner.id)) == ["lead_3", "lead_2", "lead_1"]
        assert ids(await u.leads.list_leads(owner.id, agent_id=kept_agent.id)) == ["lead_3", "lead_1"]
        assert ids(await u.leads.list_leads(owner.id, search="ADA")) == ["lead_1"]
        assert ids(await u.leads.list_leads(owner.id, since=T0 + timedelta(days=1), until=T0 + timedelta(days=2))) == [
            "lead_2"
        ]
        assert (await u.leads.get_form(owner.id, short_agent.id)).retention_months == 1  # type: ignore[union-attr]
        assert await u.leads.get_form(owner.id, kept_agent.id) is None
        assert await u.leads.get_lead(owner.id, "lead_x") is None
    async with uow(account_id=None) as u:
        # the agent with a form: only its own leads; the default: agents without a form
        assert await u.leads.purge_before(owner.id, short_agent.id, T0 + timedelta(days=1), 100) == 0
        assert await u.leads.purge_before(owner.id, short_agent.id, T0 + timedelta(days=1, seconds=1), 100) == 1
        assert await u.leads.purge_before(None, None, T0 + timedelta(days=1), 100) == 2  # lead_1 and lead_x
        await u.commit()
    async with uow(account_id=owner.id) as u:
        assert [x.id for x in await u.leads.list_leads(owner.id)] == ["lead_3"]
