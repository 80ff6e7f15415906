"""The owner's privacy rights over HTTP: export, erasure, restriction, objection, the audit
log, policy versions, visitors' conversations and per-agent chat retention."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from msgspec import Meta

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.privacy import AuditEvent, DataExport, PrivacyState
from aioomi.domain.usecases.privacy.accept_policy import AcceptPolicy
from aioomi.domain.usecases.privacy.cancel_account_deletion import CancelAccountDeletion
from aioomi.domain.usecases.privacy.delete_visitor_conversations import DeleteVisitorConversations
from aioomi.domain.usecases.privacy.download_export import DownloadExport
from aioomi.domain.usecases.privacy.export_visitor_conversations import ExportVisitorConversations
from aioomi.domain.usecases.privacy.find_visitor_conversations import FindVisitorConversations
from aioomi.domain.usecases.privacy.get_chat_retention import GetChatRetention
from aioomi.domain.usecases.privacy.get_policy_status import GetPolicyStatus
from aioomi.domain.usecases.privacy.get_privacy_overview import GetPrivacyOverview
from aioomi.domain.usecases.privacy.issue_export_link import IssueExportLink
from aioomi.domain.usecases.privacy.list_audit_log import ListAuditLog
from aioomi.domain.usecases.privacy.list_exports import ListExports
from aioomi.domain.usecases.privacy.object_to_processing import ObjectToProcessing
from aioomi.domain.usecases.privacy.request_export import RequestExport
from aioomi.domain.usecases.privacy.restrict_processing import RestrictProcessing
from aioomi.domain.usecases.privacy.set_chat_retention import SetChatRetention
from aioomi.entrypoints.http.auth import provide_principal, provide_recent_session
from aioomi.entrypoints.http.file_stream import file_chunks
from aioomi.entrypoints.http.problems import problems

AUTHENTICATED = {"principal": Provide(provide_principal)}
RECENT_SESSION = {"principal": Provide(provide_recent_session)}  # export and erasure: see docs/auth.md


class Body(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class DeleteAccountIn(Body):
    password: Annotated[str, Meta(max_length=1024)] | None = None
    """The current password; accounts without one re-authenticate with a fresh Google sign-in."""


class CancelDeletionIn(Body):
    token: Annotated[str, Meta(min_length=10, max_length=200)]


class AcceptPolicyIn(Body):
    version: Annotated[str, Meta(max_length=40)]


class ChatRetentionIn(Body):
    days: Annotated[int, Meta(ge=1, le=365)] | None = None
    """Keep conversations this many days (fewer than the policy's 12 months); null for 12 months."""


class DeletionOut(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    purge_after: datetime


class PrivacyOut(msgspec.Struct, frozen=True, kw_only=True):
    account_status: str
    restricted_at: datetime | None
    objected_at: datetime | None
    deletion_requested_at: datetime | None
    purge_after: datetime | None

    @classmethod
    def of(cls, status: str, state: PrivacyState) -> PrivacyOut:
        return cls(
            account_status=status,
            restricted_at=state.restricted_at,
            objected_at=state.objected_at,
            deletion_requested_at=state.deletion_requested_at,
            purge_after=state.purge_after,
        )


class AuditEventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    action: str
    at: datetime
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(id=event.id, action=event.action, at=event.at, detail=event.detail)


class AuditLogOut(msgspec.Struct, frozen=True, kw_only=True):
    data: list[AuditEventOut]
    next_cursor: str | None = None


class ExportOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    created_at: datetime
    ready_at: datetime | None
    expires_at: datetime
    size_bytes: int | None
    workspace_id: str | None = None
    """``null``: the person's own export; else the workspace a workspace export holds."""

    @classmethod
    def of(cls, export: DataExport) -> ExportOut:
        return cls(
            id=export.id,
            status=str(export.status),
            created_at=export.created_at,
            ready_at=export.ready_at,
            expires_at=export.expires_at,
            size_bytes=export.size_bytes,
            workspace_id=export.workspace_id,
        )


class ExportList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[ExportOut]
    next_cursor: str | None = None


class LinkOut(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    expires_at: datetime


class PolicyVersionOut(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    effective_on: date
    summary: str


class PolicyStatusOut(msgspec.Struct, frozen=True, kw_only=True):
    current: PolicyVersionOut
    upcoming: PolicyVersionOut | None
    accepted_version: str
    must_accept: str | None


class ChatRetentionOut(msgspec.Struct, frozen=True, kw_only=True):
    agent_id: str
    days: int | None
    """Null: the policy's 12 months."""


class VisitorSessionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    agent_id: str
    visitor_id: str
    created_at: datetime
    last_message_at: datetime | None


class VisitorSessionList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[VisitorSessionOut]
    next_cursor: str | None = None


class VisitorExport(msgspec.Struct, frozen=True, kw_only=True):
    visitor_id: str
    sessions: list[dict[str, Any]]


class DeletionCancelled(msgspec.Struct, frozen=True, kw_only=True):
    """What cancelling an erasure did, in words (``detail``) and for programs."""

    status: str
    account_status: str
    detail: str
    api_keys_revoked: bool = True


class DeletedCount(msgspec.Struct, frozen=True, kw_only=True):
    deleted: int


def _policy(version: Any) -> PolicyVersionOut:
    return PolicyVersionOut(version=version.version, effective_on=version.effective_on, summary=version.summary)


class PrivacyController(Controller):
    path = "/api/v1/account"
    tags = ["privacy"]
    dependencies = AUTHENTICATED

    @get("/privacy", summary="Restriction, objection and pending erasure", responses=problems(401, 403))
    async def privacy(
        self,
        get_privacy_overview: NamedDependency[GetPrivacyOverview],
        principal: NamedDependency[Principal],
    ) -> PrivacyOut:
        overview = await get_privacy_overview(principal)
        return PrivacyOut.of(str(overview.account.status), overview.state)

    async def _after(self, get_privacy_overview: GetPrivacyOverview, principal: Principal) -> PrivacyOut:
        overview = await get_privacy_overview(principal)
        return PrivacyOut.of(str(overview.account.status), overview.state)

    @put(
        "/privacy/restriction",
        summary="Restrict processing (Art. 18): data kept, agents stop answering",
        responses=problems(401, 403),
    )
    async def restrict(
        self,
        get_privacy_overview: NamedDependency[GetPrivacyOverview],
        restrict_processing: NamedDependency[RestrictProcessing],
        principal: NamedDependency[Principal],
    ) -> PrivacyOut:
        await restrict_processing(principal, restrict=True)
        return await self._after(get_privacy_overview, principal)

    @delete("/privacy/restriction", status_code=200, summary="Lift the restriction", responses=problems(401, 403))
    async def lift(
        self,
        get_privacy_overview: NamedDependency[GetPrivacyOverview],
        restrict_processing: NamedDependency[RestrictProcessing],
        principal: NamedDependency[Principal],
    ) -> PrivacyOut:
        await restrict_processing(principal, restrict=False)
        return await self._after(get_privacy_overview, principal)

    @put(
        "/privacy/objection",
        summary="Object to processing based on legitimate interests (Art. 21)",
        responses=problems(401, 403),
    )
    async def object(
        self,
        get_privacy_overview: NamedDependency[GetPrivacyOverview],
        object_to_processing: NamedDependency[ObjectToProcessing],
        principal: NamedDependency[Principal],
    ) -> PrivacyOut:
        await object_to_processing(principal, objecting=True)
        return await self._after(get_privacy_overview, principal)

    @delete("/privacy/objection", status_code=200, summary="Withdraw the objection", responses=problems(401, 403))
    async def withdraw(
        self,
        get_privacy_overview: NamedDependency[GetPrivacyOverview],
        object_to_processing: NamedDependency[ObjectToProcessing],
        principal: NamedDependency[Principal],
    ) -> PrivacyOut:
        await object_to_processing(principal, objecting=False)
        return await self._after(get_privacy_overview, principal)

    @get("/audit-log", summary="Every rights action of the account, newest first", responses=problems(401, 403))
    async def audit_log(
        self, list_audit_log: NamedDependency[ListAuditLog], principal: NamedDependency[Principal]
    ) -> AuditLogOut:
        events = await list_audit_log(principal)
        return AuditLogOut(data=[AuditEventOut.of(e) for e in events])

    @post(
        "/export",
        status_code=202,
        summary="Build an archive of all the account's data (access, portability)",
        responses=problems(401, 403),
        dependencies=RECENT_SESSION,
    )
    async def request_export(
        self, request_export: NamedDependency[RequestExport], principal: NamedDependency[Principal]
    ) -> ExportOut:
        return ExportOut.of(await request_export(principal))

    @get("/exports", summary="The account's exports", responses=problems(401, 403))
    async def list_exports(
        self, list_exports: NamedDependency[ListExports], principal: NamedDependency[Principal]
    ) -> ExportList:
        return ExportList(data=[ExportOut.of(e) for e in await list_exports(principal)])

    @post(
        "/exports/{export_id:str}/link",
        status_code=201,
        summary="A short-lived download link",
        responses=problems(401, 403, 404, 409),
        dependencies=RECENT_SESSION,
    )
    async def export_link(
        self,
        issue_export_link: NamedDependency[IssueExportLink],
        principal: NamedDependency[Principal],
        export_id: FromPath[str],
    ) -> LinkOut:
        link = await issue_export_link(principal, export_id)
        return LinkOut(url=link.url, expires_at=link.expires_at)

    @get(
        "/policy",
        summary="The policy in force, the next announced one, and the version accepted",
        responses=problems(401, 403),
    )
    async def policy(
        self, policy_status: NamedDependency[GetPolicyStatus], principal: NamedDependency[Principal]
    ) -> PolicyStatusOut:
        return await _policy_status(policy_status, principal)

    @post("/policy/accept", status_code=200, summary="Accept a published policy version", responses=problems(401, 403))
    async def accept_policy(
        self,
        policy_status: NamedDependency[GetPolicyStatus],
        accept_policy: NamedDependency[AcceptPolicy],
        principal: NamedDependency[Principal],
        data: JSONBody[AcceptPolicyIn],
    ) -> PolicyStatusOut:
        await accept_policy(principal, data.version)
        return await _policy_status(policy_status, principal)


async def _policy_status(policy_status: GetPolicyStatus, principal: Principal) -> PolicyStatusOut:
    status = await policy_status(principal)
    return PolicyStatusOut(
        current=_policy(status.current),
        upcoming=_policy(status.upcoming) if status.upcoming else None,
        accepted_version=status.accepted_version,
        must_accept=status.must_accept,
    )


class PublicPrivacyController(Controller):
    """The two steps that work without a session: the link is the credential."""

    path = "/api/v1/account"
    tags = ["privacy"]

    @post("/deletion/cancel", status_code=200, summary="Cancel a pending erasure with the e-mailed link's token")
    async def cancel_deletion(
        self, cancel_account_deletion: NamedDependency[CancelAccountDeletion], data: JSONBody[CancelDeletionIn]
    ) -> DeletionCancelled:
        status = await cancel_account_deletion(data.token)
        restricted = " Processing of your data stays restricted, as before." if status == "restricted" else ""
        return DeletionCancelled(
            status="deletion_cancelled",
            account_status=str(status),
            detail="Your account will not be deleted. You were signed out everywhere and your API keys stay "
            "revoked: sign in again and create new keys for your integrations." + restricted,
        )

    @get(
        "/exports/download",
        summary="Download an export through its short-lived, single-use link",
        media_type="application/zip",
        responses=problems(404),
    )
    async def download(
        self,
        download_export: NamedDependency[DownloadExport],
        token: Annotated[str, QueryParameter(min_length=10, max_length=200)],
    ) -> Stream:
        name, archive = await download_export(token)
        return Stream(
            file_chunks(archive),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )


class VisitorController(Controller):
    """The owner as controller of their visitors' data."""

    path = "/api/v1/visitors/{visitor_id:str}"
    tags = ["privacy"]
    dependencies = AUTHENTICATED

    @get(
        "/conversations",
        summary="A visitor's conversations with any of the account's agents",
        responses=problems(401, 403),
    )
    async def find(
        self,
        find_visitor_conversations: NamedDependency[FindVisitorConversations],
        principal: NamedDependency[Principal],
        visitor_id: FromPath[str],
    ) -> VisitorSessionList:
        sessions = await find_visitor_conversations(principal, visitor_id)
        return VisitorSessionList(
            data=[
                VisitorSessionOut(
                    id=s.id,
                    agent_id=s.agent_id,
                    visitor_id=s.visitor_id,
                    created_at=s.created_at,
                    last_message_at=s.last_message_at,
                )
                for s in sessions
            ]
        )

    @get("/export", summary="A visitor's conversations with their messages (JSON)", responses=problems(401, 403))
    async def export(
        self,
        export_visitor_conversations: NamedDependency[ExportVisitorConversations],
        principal: NamedDependency[Principal],
        visitor_id: FromPath[str],
    ) -> VisitorExport:
        sessions = await export_visitor_conversations(principal, visitor_id)
        return VisitorExport(visitor_id=visitor_id, sessions=msgspec.to_builtins(sessions))

    @delete(
        "/conversations",
        status_code=200,
        summary="Delete a visitor's conversations (hard delete)",
        responses=problems(401, 403),
    )
    async def delete_all(
        self,
        delete_visitor_conversations: NamedDependency[DeleteVisitorConversations],
        principal: NamedDependency[Principal],
        visitor_id: FromPath[str],
    ) -> DeletedCount:
        return DeletedCount(deleted=await delete_visitor_conversations(principal, visitor_id))


class ChatRetentionController(Controller):
    path = "/api/v1/agents/{agent_id:str}/chat-retention"
    tags = ["privacy"]
    dependencies = AUTHENTICATED

    @get("/", summary="How long the agent keeps conversations", responses=problems(401, 403, 404))
    async def get_retention(
        self,
        get_chat_retention: NamedDependency[GetChatRetention],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> ChatRetentionOut:
        return ChatRetentionOut(agent_id=agent_id, days=await get_chat_retention(principal, agent_id))

    @put(
        "/",
        summary="Keep conversations fewer days than the policy's 12 months (null: 12 months)",
        responses=problems(401, 403, 404),
    )
    async def set_retention(
        self,
        chat_retention: NamedDependency[SetChatRetention],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[ChatRetentionIn],
    ) -> ChatRetentionOut:
        days = await chat_retention(principal, agent_id, data.days)
        return ChatRetentionOut(agent_id=agent_id, days=days)


PRIVACY_CONTROLLERS = [PrivacyController, PublicPrivacyController, VisitorController, ChatRetentionController]
