"""The SetAgentTokenCap use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_TOKEN_CAP = 10**12


class SetAgentTokenCap:
    """Set or remove an agent's hard monthly cap in tokens (protection against runaway cost).
    Rules: the agent must be the caller's; the cap is 0 … 10¹²; ``None`` removes it."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, monthly_tokens: int | None) -> None:
        ensure_permitted(principal, Permission.MANAGE_BILLING)
        if monthly_tokens is not None and not 0 <= monthly_tokens <= MAX_TOKEN_CAP:
            raise InvalidInput(
                "The cap is between 0 and 10^12 tokens.", code="invalid_token_cap", field="monthly_tokens"
            )
        async with self._uow(account_id=principal.workspace_id) as uow:
            if await uow.agents.get(principal.workspace_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            await uow.usage.set_agent_token_cap(principal.workspace_id, agent_id, monthly_tokens)
            await uow.commit()
