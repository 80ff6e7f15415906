"""CreateSource: add a website or sitemap source to an agent's knowledge base and start its
first crawl."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.sources import (
    CRAWLED_KINDS,
    SOURCE_ID_PREFIX,
    Source,
    SourceKind,
    SourceKindNotAllowed,
    SourceLimits,
    SourceOverview,
    SourceSettings,
    SyncSchedule,
    check_settings,
    check_source_name,
    freshness,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.plan_quota import page_limit_of, plan_of
from aioomi.domain.usecases.source_support import start_run
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CreateSource:
    """Add a ``website`` or ``sitemap`` source and queue its first crawl, in one unit of work.

    Rules:
    - only those kinds are made here (``source_kind_not_allowed``): files, texts and single
      addresses are added as documents and join their source on their own;
    - the settings are checked (:func:`~aioomi.domain.model.sources.check_settings`): an
      http(s) address, path patterns, ``max_pages`` within the plan's page limit
      (``plan_limit_reached``, 402) or, without a plan, the server's (``invalid_source_settings``),
      ``max_depth`` 0–10; no ``max_pages`` takes as many as the plan allows at each run;
    - the name defaults to the address;
    - the crawl runs in the worker; its run is returned as the source's ``last_run``, with the
      page limit it will take (``page_limit``).
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, limits: SourceLimits, plans: PlanLimits | None = None
    ) -> None:
        self._plans = plans
        self._uow = uow
        self._clock = clock
        self._limits = limits

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        kind: SourceKind,
        settings: SourceSettings,
        *,
        name: str | None = None,
    ) -> SourceOverview:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        if kind not in CRAWLED_KINDS:
            raise SourceKindNotAllowed(
                "Only website and sitemap sources are created here; add files, texts and single addresses as "
                "documents.",
                field="kind",
            )
        plan = await plan_of(self._plans, principal.workspace_id)
        settings = check_settings(kind, settings, self._limits, plan)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = Source(
                id=new_id(SOURCE_ID_PREFIX),
                account_id=principal.workspace_id,
                agent_id=agent.id,
                kind=kind,
                name=check_source_name(name, settings.url or kind.value),
                settings=settings,
                schedule=SyncSchedule.OFF,
                created_at=now,
                updated_at=now,
            )
            await uow.sources.add(source)
            run = await start_run(uow, source, now)
            await uow.commit()
        return SourceOverview(
            source=source,
            documents=0,
            freshness=freshness(source, now),
            last_run=run,
            page_limit=page_limit_of(kind, settings, plan, self._limits),
        )
