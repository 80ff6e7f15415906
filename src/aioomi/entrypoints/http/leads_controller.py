"""Lead capture over HTTP: an agent's form (owner), the account's leads (list, filter, CSV
export, delete), and the widget's side (the form to show, a visitor's submission, a visitor's
own leads: see, download, delete)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.usecases.chat.open_widget import OpenWidget
from aioomi.domain.usecases.leads.delete_lead import DeleteLead
from aioomi.domain.usecases.leads.delete_visitor_leads import DeleteVisitorLeads
from aioomi.domain.usecases.leads.export_leads_csv import ExportLeadsCsv
from aioomi.domain.usecases.leads.get_lead_form import GetLeadForm
from aioomi.domain.usecases.leads.get_widget_lead_form import GetWidgetLeadForm
from aioomi.domain.usecases.leads.list_leads import ListLeads
from aioomi.domain.usecases.leads.list_visitor_leads import ListVisitorLeads
from aioomi.domain.usecases.leads.submit_lead import SubmitLead
from aioomi.domain.usecases.leads.update_lead_form import UpdateLeadForm
from aioomi.entrypoints.http.auth import client_info, provide_principal
from aioomi.entrypoints.http.problems import bounded_day, problems
from aioomi.entrypoints.http.schemas_leads import LeadFormIn, LeadFormOut, LeadIn, LeadList, LeadOut, WidgetLeadFormOut
from aioomi.entrypoints.http.widget_controller import PublicKey, VisitorId, widget_agent

DayFrom = Annotated[date | None, QueryParameter(name="from", description="Left on or after this day (UTC)")]
DayTo = Annotated[date | None, QueryParameter(name="to", description="Left on or before this day (UTC)")]
AgentFilter = Annotated[str | None, QueryParameter(name="agent_id", max_length=100)]
Search = Annotated[str | None, QueryParameter(name="q", max_length=200, description="A value contains this")]


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def _after(day: date | None) -> datetime | None:
    return None if day is None else _day_start(day + timedelta(days=1))


class LeadFormController(Controller):
    path = "/api/v1/agents/{agent_id:str}/lead-form"
    tags = ["leads"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/",
        summary="The agent's lead form (the default, switched off, if none was saved)",
        responses=problems(401, 403, 404),
    )
    async def get_form(
        self,
        get_lead_form: NamedDependency[GetLeadForm],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> LeadFormOut:
        return LeadFormOut.of(await get_lead_form(principal, agent_id))

    @put("/", summary="Replace the agent's lead form", responses=problems(400, 401, 403, 404, 422))
    async def put_form(
        self,
        update_lead_form: NamedDependency[UpdateLeadForm],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[LeadFormIn],
    ) -> LeadFormOut:
        return LeadFormOut.of(await update_lead_form(principal, agent_id, data.domain()))


class LeadController(Controller):
    path = "/api/v1/leads"
    tags = ["leads"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", summary="The account's leads, newest first, filtered", responses=problems(400, 401, 403, 422))
    async def list_leads(
        self,
        list_leads: NamedDependency[ListLeads],
        principal: NamedDependency[Principal],
        agent_id: AgentFilter = None,
        since: DayFrom = None,
        until: DayTo = None,
        q: Search = None,
    ) -> LeadList:
        since, until = bounded_day(since, "from"), bounded_day(until, "to")
        leads = await list_leads(
            principal, agent_id=agent_id, since=_day_start(since), search=q, until=_after(until), limit=1000
        )
        return LeadList(data=[LeadOut.of(lead) for lead in leads])

    @get(
        "/export",
        summary="The leads as a CSV file (the same filters)",
        media_type="text/csv",
        responses=problems(400, 401, 403, 422),
    )
    async def export_leads(
        self,
        export_leads_csv: NamedDependency[ExportLeadsCsv],
        principal: NamedDependency[Principal],
        agent_id: AgentFilter = None,
        since: DayFrom = None,
        until: DayTo = None,
        q: Search = None,
    ) -> Response[str]:
        since, until = bounded_day(since, "from"), bounded_day(until, "to")
        text = await export_leads_csv(
            principal, agent_id=agent_id, since=_day_start(since), search=q, until=_after(until)
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
        )

    @delete("/{lead_id:str}", status_code=204, summary="Delete a lead for good", responses=problems(401, 403, 404))
    async def delete_lead(
        self, delete_lead: NamedDependency[DeleteLead], principal: NamedDependency[Principal], lead_id: FromPath[str]
    ) -> None:
        await delete_lead(principal, lead_id)


class WidgetLeadController(Controller):
    path = "/api/v1/widget/{public_key:str}"
    tags = ["widget"]

    @get("/lead-form", summary="The lead form the widget shows (`form: null` when none)", responses=problems(403, 404))
    async def lead_form(
        self,
        open_widget: NamedDependency[OpenWidget],
        get_widget_lead_form: NamedDependency[GetWidgetLeadForm],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
    ) -> WidgetLeadFormOut:
        agent = await widget_agent(request, open_widget, public_key)
        form = await get_widget_lead_form(agent)
        return WidgetLeadFormOut(form=None if form is None else LeadFormOut.of(form))

    @post(
        "/leads",
        status_code=201,
        summary="Leave your details (checked field by field)",
        responses=problems(400, 403, 404, 422, 429),
    )
    async def submit(
        self,
        open_widget: NamedDependency[OpenWidget],
        submit_lead: NamedDependency[SubmitLead],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        visitor_id: VisitorId,
        data: JSONBody[LeadIn],
    ) -> LeadOut:
        agent = await widget_agent(request, open_widget, public_key)
        lead = await submit_lead(
            agent, visitor_id, dict(data.values), data.consent, data.session_id, ip=client_info(request).ip
        )
        return LeadOut.of(lead)

    @get(
        "/leads",
        summary='The details this visitor left with the agent (the widget\'s "Your data")',
        responses=problems(403, 404),
    )
    async def visitor_leads(
        self,
        open_widget: NamedDependency[OpenWidget],
        list_visitor_leads: NamedDependency[ListVisitorLeads],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        visitor_id: VisitorId,
    ) -> LeadList:
        agent = await widget_agent(request, open_widget, public_key)
        return LeadList(data=[LeadOut.of(lead) for lead in await list_visitor_leads(agent, visitor_id)])

    @get("/leads/export", summary="Download the details this visitor left, as JSON", responses=problems(403, 404))
    async def export_visitor_leads(
        self,
        open_widget: NamedDependency[OpenWidget],
        list_visitor_leads: NamedDependency[ListVisitorLeads],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        visitor_id: VisitorId,
    ) -> Response[LeadList]:
        agent = await widget_agent(request, open_widget, public_key)
        leads = await list_visitor_leads(agent, visitor_id)
        return Response(
            LeadList(data=[LeadOut.of(lead) for lead in leads]),
            headers={"Content-Disposition": 'attachment; filename="my-details.json"'},
        )

    @delete(
        "/leads",
        status_code=204,
        summary="Delete, for good, the details this visitor left with the agent",
        responses=problems(403, 404),
    )
    async def delete_visitor_leads(
        self,
        open_widget: NamedDependency[OpenWidget],
        delete_visitor_leads: NamedDependency[DeleteVisitorLeads],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        visitor_id: VisitorId,
    ) -> None:
        agent = await widget_agent(request, open_widget, public_key)
        await delete_visitor_leads(agent, visitor_id)
