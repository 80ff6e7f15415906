"""RevokeApiKey: Revoke a key at once; another account's key id is simply not found."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RevokeApiKey:
    """Revoke a key at once; another account's key id is simply not found."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, key_id: str) -> None:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            if not await uow.api_keys.revoke(principal.workspace_id, key_id, self._clock.now()):
                raise NotFound("No such API key.", code="api_key_not_found")
            await uow.commit()
