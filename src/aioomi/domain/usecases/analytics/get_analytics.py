"""The owner reads the analytics of the account or of one agent over a range of days."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.analytics import TOP_DOCUMENTS, TOP_GROUPS, AnalyticsReport, check_range, report
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetAnalytics:
    """Per-day conversations, messages and answers by outcome, votes and curated-answer hits,
    with totals and rates, the 10 most-cited documents and the 10 largest open question groups.

    Rules:
    - the range: ``from``/``to`` as ISO dates, both included, UTC days; by default the last 30
      days to today; at most 366 days; otherwise ``invalid_date_range``
      (:func:`~aioomi.domain.model.analytics.check_range`);
    - ``agent_id`` narrows to one agent of the caller's (another account's is not found, like
      a missing one); without it, every agent of the account;
    - every day of the range is listed, a day without activity as zeros;
    - only the caller's account is ever read.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self,
        principal: Principal,
        *,
        agent_id: str | None = None,
        first_day: str | None = None,
        last_day: str | None = None,
    ) -> AnalyticsReport:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        span = check_range(first_day, last_day, self._clock.now().date())
        account_id = principal.workspace_id
        async with self._uow(account_id=account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id) if agent_id else None
            scope = agent.id if agent else None
            days = await uow.analytics.daily(account_id, scope, span.since, span.until)
            documents = await uow.analytics.top_documents(
                account_id, scope, span.since, span.until, limit=TOP_DOCUMENTS
            )
            groups = await uow.analytics.top_groups(account_id, scope, span.since, span.until, limit=TOP_GROUPS)
        return report(scope, span, days, documents, groups)
