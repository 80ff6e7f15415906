"""The owner's own account, sessions and API keys."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from msgspec import UNSET

from aioomi.domain.model.accounts import Principal
from aioomi.domain.usecases.accounts.create_api_key import CreateApiKey
from aioomi.domain.usecases.accounts.get_account import GetAccount
from aioomi.domain.usecases.accounts.list_api_keys import ListApiKeys
from aioomi.domain.usecases.accounts.list_sessions import ListSessions
from aioomi.domain.usecases.accounts.revoke_api_key import RevokeApiKey
from aioomi.domain.usecases.accounts.revoke_session import RevokeSession
from aioomi.domain.usecases.accounts.update_profile import ProfileChanges, UpdateProfile
from aioomi.domain.usecases.privacy.request_account_deletion import RequestAccountDeletion
from aioomi.entrypoints.http.auth import provide_principal, provide_recent_session
from aioomi.entrypoints.http.privacy_controller import DeleteAccountIn, DeletionOut
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_accounts import (
    AccountOut,
    AccountPatch,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyOut,
    OwnerSessionList,
    OwnerSessionOut,
)

AUTHENTICATED = {"principal": Provide(provide_principal)}
# Account security: a browser session that signed in (or re-entered its password) within the
# re-authentication window; never an API key.
RECENT_SESSION = {"principal": Provide(provide_recent_session)}


class AccountController(Controller):
    path = "/api/v1/account"
    tags = ["account"]
    dependencies = AUTHENTICATED

    @get("/", summary="The caller's account", responses=problems(401, 403))
    async def get_account(
        self, get_account: NamedDependency[GetAccount], principal: NamedDependency[Principal]
    ) -> AccountOut:
        return AccountOut.of(await get_account(principal))

    @patch(
        "/",
        summary="Correct the name, or change the email (current password and re-authentication required; "
        "confirmed by a link to the new address, cancellable from the old one)",
        responses=problems(401, 403, 409, 429),
        dependencies=RECENT_SESSION,
    )
    async def update_account(
        self,
        update_profile: NamedDependency[UpdateProfile],
        principal: NamedDependency[Principal],
        data: JSONBody[AccountPatch],
    ) -> AccountOut:
        changes = ProfileChanges(
            full_name=None if data.full_name is UNSET else data.full_name,
            email=None if data.email is UNSET else data.email,
            current_password=None if data.current_password is UNSET else data.current_password,
        )
        updated = await update_profile(principal, changes)
        return AccountOut.of(updated.account, pending_email=updated.pending_email)

    @delete(
        "/",
        status_code=202,
        summary="Erase the account (re-authentication required); cancellable during the grace period",
        responses=problems(401, 403),
        dependencies=RECENT_SESSION,
    )
    async def delete_account(
        self,
        request_account_deletion: NamedDependency[RequestAccountDeletion],
        principal: NamedDependency[Principal],
        data: JSONBody[DeleteAccountIn],
    ) -> DeletionOut:
        scheduled = await request_account_deletion(principal, data.password)
        return DeletionOut(status="deletion_pending", purge_after=scheduled.purge_after)

    @get(
        "/sessions", summary="Where the account is signed in", responses=problems(401, 403), dependencies=RECENT_SESSION
    )
    async def list_sessions(
        self, list_sessions: NamedDependency[ListSessions], principal: NamedDependency[Principal]
    ) -> OwnerSessionList:
        sessions = await list_sessions(principal)
        return OwnerSessionList(data=[OwnerSessionOut.of(s, principal.session_id) for s in sessions])

    @delete(
        "/sessions/{session_id:str}",
        status_code=204,
        summary="Sign one session out",
        responses=problems(401, 403, 404),
        dependencies=RECENT_SESSION,
    )
    async def revoke_session(
        self,
        revoke_session: NamedDependency[RevokeSession],
        principal: NamedDependency[Principal],
        session_id: FromPath[str],
    ) -> None:
        await revoke_session(principal, session_id)


class ApiKeyController(Controller):
    path = "/api/v1/api-keys"
    tags = ["api keys"]
    dependencies = RECENT_SESSION

    @post("/", status_code=201, summary="Create a key; the secret is shown this once", responses=problems(401, 403))
    async def create_key(
        self,
        create_api_key: NamedDependency[CreateApiKey],
        principal: NamedDependency[Principal],
        data: JSONBody[ApiKeyCreate],
    ) -> Response[ApiKeyCreated]:
        created = await create_api_key(principal, data.name, [str(s) for s in data.scopes], data.role)
        key = created.key
        return Response(
            ApiKeyCreated(
                id=key.id,
                name=key.name,
                prefix=key.prefix,
                created_at=key.created_at,
                last_used_at=key.last_used_at,
                scopes=[str(s) for s in key.scopes],
                role=key.role,
                secret=created.secret,
            ),
            status_code=201,
            headers={"Cache-Control": "no-store"},
        )

    @get("/", summary="The account's keys (metadata only)", responses=problems(401, 403))
    async def list_keys(
        self, list_api_keys: NamedDependency[ListApiKeys], principal: NamedDependency[Principal]
    ) -> ApiKeyList:
        return ApiKeyList(data=[ApiKeyOut.of(k) for k in await list_api_keys(principal)])

    @delete("/{key_id:str}", status_code=204, summary="Revoke a key at once", responses=problems(401, 403, 404))
    async def revoke_key(
        self,
        revoke_api_key: NamedDependency[RevokeApiKey],
        principal: NamedDependency[Principal],
        key_id: FromPath[str],
    ) -> None:
        await revoke_api_key(principal, key_id)
