"""SubmitLead: a visitor leaves their details through the widget's form."""

from __future__ import annotations

from datetime import timedelta

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import check_visitor_id
from aioomi.domain.model.errors import RateLimited
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.leads import (
    LEAD_CREATED,
    LEAD_PREFIX,
    NOTIFY_NEW_LEAD,
    Lead,
    LeadFormNotFound,
    check_submission,
)
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.clock import Clock
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory

HOUR = timedelta(hours=1)


class SubmitLead:
    """Store a lead with its conversation.

    Rules:
    - the agent's form must be switched on (``lead_form_not_found``);
    - every field is checked by :func:`check_submission` (required fields, e-mail and phone
      formats, choices, the consent box), and every bad field is named (``invalid_lead``);
      nothing is stored then;
    - the conversation must be this visitor's with this agent, else the lead is kept without it;
    - the lead, its ``lead.created`` webhook event and the owner's notification job (when the
      form says so) are written in one unit of work;
    - at most 5 leads an hour per visitor and 20 per IP address (``rate_limited``, nothing
      stored), so a script cannot flood the owner's leads and inbox; a submission refused by the
      checks does not count.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, limiter: RateLimiter) -> None:
        self._uow = uow
        self._clock = clock
        self._limiter = limiter

    async def __call__(
        self,
        agent: Agent,
        visitor_id: str,
        values: dict[str, str],
        consent: bool,
        session_id: str | None = None,
        ip: str | None = None,
    ) -> Lead:
        check_visitor_id(visitor_id)
        now = self._clock.now()
        async with self._uow(account_id=agent.account_id) as uow:
            form = await uow.leads.get_form(agent.account_id, agent.id)
            if form is None or not form.enabled:
                raise LeadFormNotFound("This assistant does not collect contact details.")
            clean = check_submission(form, values, consent)
            await self._check_rate(agent, visitor_id, ip)  # counts only submissions that pass the checks
            if session_id is not None:
                session = await uow.chat_sessions.get(agent.account_id, session_id)
                if session is None or session.agent_id != agent.id or session.visitor_id != visitor_id:
                    session_id = None
            lead = Lead(
                id=new_id(LEAD_PREFIX),
                account_id=agent.account_id,
                agent_id=agent.id,
                visitor_id=visitor_id,
                values=clean,
                consent_text=form.consent_text,
                privacy_url=form.privacy_url,
                created_at=now,
                session_id=session_id,
            )
            await uow.leads.add_lead(lead)
            emit_event(
                uow,
                account_id=agent.account_id,
                type=LEAD_CREATED,
                at=now,
                data={
                    "lead_id": lead.id,
                    "agent_id": agent.id,
                    "conversation_id": session_id,
                    "values": clean,
                    "created_at": now.isoformat().replace("+00:00", "Z"),
                },
            )
            if form.notify:
                await uow.jobs.enqueue(
                    NewJob(kind=NOTIFY_NEW_LEAD, payload={"account_id": agent.account_id, "lead_id": lead.id})
                )
            await uow.commit()
        return lead

    async def _check_rate(self, agent: Agent, visitor_id: str, ip: str | None) -> None:
        rules = [(RateLimit(name="leads.visitor.hour", limit=5, window=HOUR), f"{agent.id}:{visitor_id}")]
        if ip:
            rules.append((RateLimit(name="leads.ip.hour", limit=20, window=HOUR), ip))
        denied = [d for d in await self._limiter.hit_many(rules) if not d.allowed]
        if denied:
            raise RateLimited(
                "Too many submissions; please try again later.", retry_after_s=max(d.retry_after_s for d in denied)
            )
