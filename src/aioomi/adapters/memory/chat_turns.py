"""A chat turn's read in memory: the same answers as Postgres from the unit of work's
repositories and the process's rate-limit counters."""

from __future__ import annotations

from typing import Any

import msgspec

from aioomi.adapters.memory.rate_limiter import InMemoryRateLimiter
from aioomi.domain.model.chat_turn import TurnQuery, TurnState


class InMemoryChatTurnReader:
    """:class:`aioomi.ports.chat.ChatTurnReader` on an :class:`InMemoryUnitOfWork` (``uow``)
    and the counters of ``limiter`` (the container's rate limiter, so both count alike)."""

    def __init__(self, uow: Any, limiter: InMemoryRateLimiter) -> None:
        self._uow = uow
        self._limiter = limiter

    async def read(self, query: TurnQuery) -> TurnState:
        uow, account = self._uow, query.account_id
        decisions = tuple(self._limiter.hit_at(rule, key, query.now) for rule, key in query.hits)
        allowance = (
            await uow.usage.allowance_state(account, query.agent_id, query.period) if query.period is not None else None
        )
        billing = await uow.billing.get_account(account) if query.billing else None
        owners = tuple(await uow.workspaces.owner_statuses(account)) if query.owner else ()
        knowledge = await uow.documents.knowledge_base_with_totals(account, query.agent_id) if query.knowledge else None
        curated = await uow.curated_settings.get(account, query.agent_id) if query.curated else None
        state = TurnState(
            knowledge=knowledge,
            curated_settings=curated,
            has_pairs=uow.sources.agent_has_pairs(account, query.agent_id) if query.curated else None,
            decisions=decisions,
            allowance=allowance,
            billing=billing,
            owner_statuses=owners,
        )
        if query.session_id is None:
            return state
        session, recent, keyed = await uow.chat_sessions.get_with_recent_and_keyed(
            account, query.session_id, last=query.last, idempotency_key=query.idempotency_key or ""
        )
        if session is None:
            return state
        return msgspec.structs.replace(
            state,
            session=session,
            recent=tuple(recent),
            keyed=keyed if query.idempotency_key is not None else None,
        )
