"""The dashboard's leads page: the account's leads, filtered by agent, days and text, with the
CSV export of the same selection and a delete button per lead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from aioomi.domain.model.leads import MAX_FIELDS, FieldKind, Trigger
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.agents.list_agent_names import ListAgentNames
from aioomi.domain.usecases.leads.get_lead_form import GetLeadForm
from aioomi.domain.usecases.leads.list_leads import ListLeads
from aioomi.entrypoints.http.pages import (
    NO_STORE,
    PAGE_ERRORS,
    DayFrom,
    DayTo,
    Owner,
    _page,
    provide_owner,
)
from aioomi.entrypoints.http.privacy_pages import load_policy
from aioomi.entrypoints.http.problems import bounded_day
from aioomi.entrypoints.http.schemas_agents import AgentOut
from aioomi.entrypoints.http.schemas_leads import LeadFormOut, LeadOut


def _start(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


class LeadPages(Controller):
    path = "/dashboard/leads"
    include_in_schema = False
    cache_control = NO_STORE
    dependencies = {"owner": Provide(provide_owner)}
    before_request = load_policy  # type: ignore[assignment]  # a plain function, not a method: Litestar passes the request
    exception_handlers = PAGE_ERRORS  # type: ignore[assignment]

    @get("/")
    async def leads(
        self,
        list_agent_names: NamedDependency[ListAgentNames],
        list_leads: NamedDependency[ListLeads],
        owner: NamedDependency[Owner],
        agent_id: Annotated[str | None, QueryParameter(name="agent_id", max_length=100)] = None,
        since: DayFrom = None,
        until: DayTo = None,
        q: Annotated[str | None, QueryParameter(name="q", max_length=200)] = None,
    ) -> Template:
        since, until = bounded_day(since, "from"), bounded_day(until, "to")
        leads = await list_leads(
            owner.principal,
            agent_id=agent_id or None,
            since=_start(since),
            search=q,
            until=_start(until + timedelta(days=1)) if until else None,
            limit=200,
        )
        agents = await list_agent_names(owner.principal)
        filters = {
            "agent_id": agent_id or "",
            "from": since.isoformat() if since else "",
            "to": until.isoformat() if until else "",
            "q": q or "",
        }
        query = urlencode({k: v for k, v in filters.items() if v})
        return _page(
            "leads.html",
            owner,
            leads=[LeadOut.of(lead) for lead in leads],
            agents=agents,
            agent_names={a.id: a.name for a in agents},
            filters=filters,
            export_url="/api/v1/leads/export" + (f"?{query}" if query else ""),
            title="Leads",
            nav="leads",
        )

    @get("/form/{agent_id:str}")
    async def lead_form(
        self,
        get_agent: NamedDependency[GetAgent],
        get_lead_form: NamedDependency[GetLeadForm],
        owner: NamedDependency[Owner],
        agent_id: FromPath[str],
    ) -> Template:
        agent = AgentOut.of(await get_agent(owner.principal, agent_id))
        form = LeadFormOut.of(await get_lead_form(owner.principal, agent_id))
        rows = form.fields + [None] * (MAX_FIELDS - len(form.fields))
        return _page(
            "lead_form.html",
            owner,
            agent=agent,
            form=form,
            rows=rows,
            kinds=[str(k) for k in FieldKind],
            triggers=[str(t) for t in Trigger],
            title=f"{agent.name}: lead form",
            nav="leads",
        )
