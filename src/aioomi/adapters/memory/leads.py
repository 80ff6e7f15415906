"""Lead forms and leads in memory, with the Postgres store's semantics."""

from __future__ import annotations

from datetime import datetime

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.leads import Lead, LeadForm


class InMemoryLeadStore:
    """:class:`aioomi.ports.leads.LeadStore` on tables of the unit of work."""

    def __init__(self, forms: Table[LeadForm], leads: Table[Lead]) -> None:
        self._forms = forms
        self._leads = leads

    async def get_form(self, account_id: str, agent_id: str) -> LeadForm | None:
        form = self._forms.get(agent_id)
        return form if form is not None and form.account_id == account_id else None

    async def save_form(self, form: LeadForm) -> None:
        current = self._forms.get(form.agent_id)
        if current is None or current.account_id == form.account_id:
            self._forms.put(form.agent_id, form)

    async def add_lead(self, lead: Lead) -> None:
        self._leads.put(lead.id, lead)

    async def get_lead(self, account_id: str, lead_id: str) -> Lead | None:
        lead = self._leads.get(lead_id)
        return lead if lead is not None and lead.account_id == account_id else None

    async def list_leads(
        self,
        account_id: str,
        *,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
        limit: int = 1000,
    ) -> list[Lead]:
        found = [
            lead
            for lead in self._leads.values()
            if lead.account_id == account_id
            and (agent_id is None or lead.agent_id == agent_id)
            and (since is None or lead.created_at >= since)
            and (until is None or lead.created_at < until)
            and (search is None or any(search.lower() in v.lower() for v in lead.values.values()))
        ]
        return sorted(found, key=lambda lead: (lead.created_at, lead.id), reverse=True)[:limit]

    async def delete_lead(self, account_id: str, lead_id: str) -> bool:
        if await self.get_lead(account_id, lead_id) is None:
            return False
        self._leads.delete(lead_id)
        return True

    async def list_for_visitor(self, account_id: str, visitor_id: str) -> list[Lead]:
        found = [
            lead for lead in self._leads.values() if lead.account_id == account_id and lead.visitor_id == visitor_id
        ]
        return sorted(found, key=lambda lead: (lead.created_at, lead.id))

    async def delete_for_visitor(self, account_id: str, visitor_id: str) -> int:
        found = await self.list_for_visitor(account_id, visitor_id)
        for lead in found:
            self._leads.delete(lead.id)
        return len(found)

    async def forms_of_all_accounts(self) -> list[LeadForm]:
        return sorted(self._forms.values(), key=lambda f: f.agent_id)

    async def purge_before(self, account_id: str | None, agent_id: str | None, before: datetime, limit: int) -> int:
        with_form = {f.agent_id for f in self._forms.values()}
        due = sorted(
            (
                lead
                for lead in self._leads.values()
                if lead.created_at < before
                and (
                    lead.agent_id == agent_id and lead.account_id == account_id
                    if agent_id is not None
                    else lead.agent_id not in with_form
                )
            ),
            key=lambda lead: lead.created_at,
        )[:limit]
        for lead in due:
            self._leads.delete(lead.id)
        return len(due)
