"""UpdateSource: rename a source, change its settings or its sync schedule."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.sources import (
    SourceKind,
    SourceLimits,
    SourceOverview,
    SourceSettings,
    SyncSchedule,
    check_schedule,
    check_settings,
    check_source_name,
    freshness,
    next_sync,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.plan_quota import page_limit_of, plan_of
from aioomi.domain.usecases.source_support import find_own_source
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class UpdateSource:
    """Change what is given (``None`` keeps it) of one of the agent's sources.

    Rules:
    - the name: 1–200 characters of one line (``invalid_source_name``);
    - settings only for web sources, checked as at creation (``invalid_source_settings``,
      ``invalid_source_url``, ``invalid_path_pattern``); a ``url`` source keeps its address;
      the new settings apply from the next run (settings of ``upload`` and ``qa`` sources are empty);
      ``max_pages`` above the plan's page limit is ``plan_limit_reached`` (402);
    - a schedule (``off``, ``daily``, ``weekly``) only for website and sitemap sources
      (``invalid_schedule``); the next sync is one period after the last one (at once when
      that has passed or it never ran); ``off`` clears it.
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
        source_id: str,
        *,
        name: str | None = None,
        settings: SourceSettings | None = None,
        schedule: SyncSchedule | None = None,
    ) -> SourceOverview:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        now = self._clock.now()
        plan = await plan_of(self._plans, principal.workspace_id)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await find_own_source(uow, principal, agent, source_id, for_update=True)
            changed = source
            if name is not None:
                changed = msgspec.structs.replace(changed, name=check_source_name(name, source.name))
            if settings is not None:
                if source.kind is SourceKind.URL:
                    settings = msgspec.structs.replace(settings, url=source.settings.url)
                changed = msgspec.structs.replace(
                    changed, settings=check_settings(source.kind, settings, self._limits, plan)
                )
            if schedule is not None and schedule is not source.schedule:
                changed = msgspec.structs.replace(
                    changed,
                    schedule=check_schedule(source.kind, schedule),
                    next_sync_at=next_sync(schedule, source.last_synced_at or now),
                )
            counts = await uow.sources.document_counts(principal.workspace_id, agent.id)
            if changed != source:
                changed = msgspec.structs.replace(changed, updated_at=now)
                await uow.sources.update(changed)
                await uow.commit()
        return SourceOverview(
            source=changed,
            documents=counts.get(changed.id, 0),
            freshness=freshness(changed, now),
            page_limit=page_limit_of(changed.kind, changed.settings, plan, self._limits),
        )
