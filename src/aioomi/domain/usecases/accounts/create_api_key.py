"""CreateApiKey: Make a named key with the scopes it needs."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import ApiKey, Principal, check_key_name, check_scopes
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.secrets import API_KEY_SHOWN, hash_token, new_api_key
from aioomi.domain.model.workspaces import ForbiddenByRole, Permission, Role, ensure_permitted, role_within
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_KEYS_PER_ACCOUNT = 50


class CreatedApiKey(msgspec.Struct, frozen=True, kw_only=True):
    key: ApiKey
    secret: str
    """The whole key: returned this once, never stored, never shown again."""


class CreateApiKey:
    """Make a named key with the scopes it needs.

    Rules: the caller's role manages integrations; the key belongs to the workspace and carries
    a role no higher than its creator's (default: the creator's), and it counts only while its
    creator is a member (``Authenticate``); at least one known scope (``Scope``); shown once; stored as a hash with a short
    visible prefix; at most ``MAX_KEYS_PER_ACCOUNT`` live keys per account. (Only a recently
    re-authenticated browser session reaches this use case: see ``RequireRecentSession``.)
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, principal: Principal, name: str, scopes: list[str], role: Role | None = None
    ) -> CreatedApiKey:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        role = principal.role if role is None else role
        if not role_within(role, principal.role):
            raise ForbiddenByRole(f"A key's role cannot grant more than yours ({principal.role}).")
        name = check_key_name(name)
        checked = check_scopes(scopes)
        secret = new_api_key()
        now = self._clock.now()
        key = ApiKey(
            id=new_id("key"),
            account_id=principal.workspace_id,
            name=name,
            prefix=secret[:API_KEY_SHOWN],
            key_hash=hash_token(secret),
            created_at=now,
            scopes=checked,
            role=role,
            created_by=principal.account_id,
        )
        async with self._uow(account_id=principal.workspace_id) as uow:
            if len(await uow.api_keys.list(principal.workspace_id)) >= MAX_KEYS_PER_ACCOUNT:
                raise InvalidInput(
                    f"An account holds at most {MAX_KEYS_PER_ACCOUNT} keys; revoke one first.", code="too_many_keys"
                )
            await uow.api_keys.add(key)
            await uow.commit()
        return CreatedApiKey(key=key, secret=secret)
