"""Lead capture's rules and use cases on the memory adapters: the form's checks, a submission's
checks (each bad field named; values normalised), and retention: a lead is deleted by the
retention sweep once its agent's retention (24 months by default, in calendar months) has
passed, and the sweep is recorded; erasure of the account takes its leads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.leads import (
    FieldKind,
    InvalidLead,
    InvalidLeadForm,
    LeadField,
    LeadForm,
    check_lead_form,
    check_submission,
    csv_safe,
)
from aioomi.settings import Settings
from tests.unit.chat_support import VISITOR, account, agent_for, store

T0 = datetime(2026, 1, 31, 12, tzinfo=UTC)
PRIVACY = "https://shop.example.com/privacy"


def form(**changes: object) -> LeadForm:
    base = LeadForm(
        account_id="acct_1",
        agent_id="agt_1",
        enabled=True,
        privacy_url=PRIVACY,
        fields=(
            LeadField(key="name", kind=FieldKind.NAME, label="Name", required=True),
            LeadField(key="email", kind=FieldKind.EMAIL, label="E-mail", required=True),
            LeadField(key="phone", kind=FieldKind.PHONE, label="Phone"),
            LeadField(key="plan", kind=FieldKind.CHOICE, label="Plan", options=("Basic", "Pro")),
        ),
    )
    return msgspec.structs.replace(base, **changes)


def test_a_form_has_at_most_8_fields_distinct_keys_real_choices_and_a_privacy_notice_when_enabled() -> None:
    assert check_lead_form(form()).fields[0].label == "Name"
    nine = tuple(LeadField(key=f"f{i}", kind=FieldKind.TEXT, label=f"F{i}") for i in range(9))
    eight = nine[:8]
    assert len(check_lead_form(form(fields=eight)).fields) == 8
    for bad in (
        form(fields=nine),
        form(privacy_url=None),
        form(privacy_url="javascript:alert(1)"),
        form(fields=(LeadField(key="a", kind=FieldKind.TEXT, label="A"),) * 2),
        form(fields=(LeadField(key="Bad Key", kind=FieldKind.TEXT, label="A"),)),
        form(fields=(LeadField(key="c", kind=FieldKind.CHOICE, label="C", options=("only",)),)),
        form(fields=()),
        form(retention_months=0),
        form(after_messages=51),
    ):
        with pytest.raises(InvalidLeadForm):
            check_lead_form(bad)
    assert check_lead_form(form(enabled=False, privacy_url=None, fields=())).enabled is False


def test_a_submission_names_every_bad_field_and_normalises_the_good_ones() -> None:
    with pytest.raises(InvalidLead) as caught:
        check_submission(
            form(),
            {"name": "  ", "email": "ada@@example", "phone": "555-0100", "plan": "Gold", "extra": "x"},
            consent=False,
        )
    assert [f for f, _ in caught.value.field_errors] == ["extra", "name", "email", "phone", "plan", "consent"]
    with pytest.raises(InvalidLead) as caught:
        check_submission(
            form(), {"name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 095"}, consent=True
        )  # one digit short
    assert [f for f, _ in caught.value.field_errors] == ["phone"]
    assert check_submission(
        form(), {"name": " Ada ", "email": "ada@EXAMPLE.com", "phone": "+1 (415) 555-2671", "plan": "Pro"}, consent=True
    ) == {"name": "Ada", "email": "ada@example.com", "phone": "+14155552671", "plan": "Pro"}
    assert check_submission(form(), {"name": "Ada", "email": "ada@example.com"}, consent=True) == {
        "name": "Ada",
        "email": "ada@example.com",
    }


def test_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    assert [csv_safe(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "Ada", "1-2")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Ada",
        "1-2",
    ]


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[container_in_memory]:
    container = container_in_memory(settings=Settings(data_dir=str(tmp_path / "aioomi"), log_format="console"))
    container.clock.override(providers.Object(ManualClock(T0)))
    await start(container)
    yield container
    await stop(container)


async def test_leads_go_after_their_agents_retention_at_the_sweep_which_is_recorded(container: Container) -> None:
    owner = account()
    default_agent, short_agent = agent_for(owner), agent_for(owner, name="Short")
    await store(container, owner, default_agent, short_agent)
    principal = Principal.own(account_id=owner.id, session_id="ses_x")
    clock: ManualClock = container.clock()
    await container.update_lead_form()(principal, default_agent.id, form())  # 24 months (the default)
    await container.update_lead_form()(principal, short_agent.id, form(retention_months=6))
    values = {"name": "Ada", "email": "ada@example.com"}
    kept_long = await container.submit_lead()(default_agent, VISITOR, values, True)  # 2026-01-31
    kept_short = await container.submit_lead()(short_agent, VISITOR, values, True)

    async def remaining() -> set[str]:
        return {lead.id for lead in await container.list_leads()(principal)}

    clock.advance(datetime(2026, 7, 31, 12, tzinfo=UTC) - T0)  # exactly 6 calendar months later
    await container.retention_sweeps()()
    assert await remaining() == {kept_long.id, kept_short.id}
    clock.advance(timedelta(seconds=1))
    summary = await container.retention_sweeps()()
    assert await remaining() == {kept_long.id} and summary["leads"] == 1
    clock.advance(datetime(2028, 1, 31, 12, tzinfo=UTC) - clock.now())  # 24 calendar months after the first
    await container.retention_sweeps()()
    assert await remaining() == {kept_long.id}
    clock.advance(timedelta(seconds=1))
    await container.retention_sweeps()()
    assert await remaining() == set()
    async with container.uow()(account_id=None) as uow:
        runs = await uow.privacy.list_runs(10, kind="leads")
    assert runs and runs[0].removed == 1


async def test_erasing_the_account_takes_its_leads(container: Container) -> None:
    owner, other = account(), account()
    agent, others = agent_for(owner), agent_for(other)
    await store(container, owner, agent)
    await store(container, other, others)
    for who, a in ((owner, agent), (other, others)):
        await container.update_lead_form()(Principal.own(account_id=who.id, session_id="s"), a.id, form())
        await container.submit_lead()(a, VISITOR, {"name": "Ada", "email": "ada@example.com"}, True)
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.erase_account(owner.id)
        await uow.commit()
    left = container.memory_database().table("leads")
    assert [lead.account_id for lead in left.values()] == [other.id]


def test_the_widgets_lead_script_builds_nodes_never_html() -> None:
    from aioomi.entrypoints.http.widget_leads_asset import LEADS_FILE

    text = LEADS_FILE.read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in text, sink


async def test_the_owners_export_holds_the_leads_and_the_endpoints_without_their_secret(container: Container) -> None:
    import io
    import json
    import zipfile

    from tests.unit.test_webhooks import FakeTransport

    container.webhook_transport.override(providers.Object(FakeTransport()))  # no DNS here
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    who = Principal.own(account_id=owner.id, session_id="s")
    await container.update_lead_form()(who, agent.id, form())
    lead = await container.submit_lead()(agent, VISITOR, {"name": "Ada", "email": "ada@example.com"}, True)
    endpoint = await container.create_webhook_endpoint()(who, url="https://crm.example.com/in", events=["lead.created"])
    export = await container.request_workspace_export()(who, who.workspace_id)  # leads and webhooks: the workspace's
    await container.build_export()(owner.id, export.id)
    token = (await container.issue_export_link()(who, export.id)).url.split("token=")[1]
    _, handle = await container.download_export()(token)
    with handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    leads = json.loads(archive.read("leads.json"))
    assert [(x["id"], x["values"]["email"], x["consent_text"]) for x in leads] == [
        (lead.id, "ada@example.com", form().consent_text)
    ]
    endpoints = json.loads(archive.read("webhook_endpoints.json"))
    assert [e["url"] for e in endpoints] == ["https://crm.example.com/in"]
    assert endpoint.secret not in archive.read("webhook_endpoints.json").decode() and "secret" not in endpoints[0]


async def test_a_visitor_leaves_at_most_5_leads_an_hour_refused_ones_not_counted(container: Container) -> None:
    from aioomi.domain.model.errors import RateLimited

    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    await container.update_lead_form()(Principal.own(account_id=owner.id, session_id="s"), agent.id, form())
    good = {"name": "Ada", "email": "ada@example.com"}
    for _ in range(3):
        with pytest.raises(InvalidLead):
            await container.submit_lead()(agent, VISITOR, {"name": "Ada"}, True)
    for _ in range(5):
        await container.submit_lead()(agent, VISITOR, good, True)
    with pytest.raises(RateLimited):
        await container.submit_lead()(agent, VISITOR, good, True)
    assert len(await container.list_leads()(Principal.own(account_id=owner.id, session_id="s"))) == 5
    container.clock().advance(timedelta(hours=1))
    await container.submit_lead()(agent, VISITOR, good, True)
