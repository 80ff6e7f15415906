"""Lead forms and the leads visitors leave."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aioomi.domain.model.leads import Lead, LeadForm


class LeadStore(Protocol):
    """Inside the unit of work; every query filters by the account it names."""

    async def get_form(self, account_id: str, agent_id: str) -> LeadForm | None: ...

    async def save_form(self, form: LeadForm) -> None:
        """Insert or replace the agent's form."""
        ...

    async def add_lead(self, lead: Lead) -> None: ...

    async def get_lead(self, account_id: str, lead_id: str) -> Lead | None: ...

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
        """Newest first; ``search`` matches any value (case-insensitive substring)."""
        ...

    async def delete_lead(self, account_id: str, lead_id: str) -> bool: ...

    async def list_for_visitor(self, account_id: str, visitor_id: str) -> list[Lead]: ...

    async def delete_for_visitor(self, account_id: str, visitor_id: str) -> int: ...

    async def forms_of_all_accounts(self) -> list[LeadForm]:
        """Every form (system scope: the retention sweep)."""
        ...

    async def purge_before(self, account_id: str | None, agent_id: str | None, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` leads left before ``before``: of one agent, or (both ``None``)
        of every agent without a form of its own (they keep the default retention)."""
        ...
