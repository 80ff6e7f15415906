"""The BuildExport use case."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec

from aioomi.domain.model.accounts import Account
from aioomi.domain.model.curated import CuratedSettings
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.privacy import (
    EXPORT_LINK_TTL,
    DataExport,
    ExportStatus,
    PrivacyState,
    RightsAction,
    export_blob_key,
)
from aioomi.domain.model.question_groups import QuestionGroup
from aioomi.domain.model.test_questions import TestQuestion, TestRun
from aioomi.domain.model.workspaces import Permission, Workspace, permits
from aioomi.domain.usecases.export_archive import ExportManifest, write_export_archive
from aioomi.domain.usecases.privacy.support import _agent_conversations, every_agent, record
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.request_log import RequestLog
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

EXPORT_SCHEMA_VERSION = 1


def _json(value: Any) -> bytes:
    return json.dumps(msgspec.to_builtins(value), indent=2, ensure_ascii=False, sort_keys=True).encode()


PERSON_EXPORT_FILES = {
    "account.json": "The account: email, full name, sign-in methods, status, consents (18+, policy version).",
    "sessions.json": "Signed-in sessions not revoked: times, IP address, user agent, the workspace each acts in.",
    "trusted_devices.json": "Browsers trusted after a password sign-in (device cookies): times. Never the token "
    "or its hash.",
    "consents.json": "Age attestation, accepted policy versions, privacy choices.",
    "audit_log.json": "Every rights action of the account.",
    "memberships.json": "The workspaces the person belongs to: id, name, role, since when. Their data is in each "
    "workspace's own export (asked for by an owner).",
}
"""The person's export: what is held about them, not the workspaces they work in."""

WORKSPACE_EXPORT_FILES = {
    "workspace.json": "The workspace: id, name, times; its members (account id, role, since when).",
    "api_keys.json": "The workspace's API keys: name, visible prefix, role, times. Never the secret or its hash.",
    "agents.json": "Agents with every setting, widget styling and chat retention.",
    "documents.json": "Knowledge-base documents' metadata; files under documents/<id>/.",
    "conversations.json": "Chat sessions of every agent with their messages.",
    "usage.json": "Token usage per day, agent and model.",
    "request_log.json": "The workspace's logged API requests (last 90 days).",
    "billing.json": "Plan and subscription state (Stripe ids only) and billing records.",
    "audit_log.json": "Which member did what in the workspace (members, roles, invitations, ownership).",
    "leads.json": "Leads visitors left through the agents' forms, with the consent line they agreed to.",
    "webhook_endpoints.json": "Webhook endpoints: address, events, state. Never the signing secret.",
    "improvement_loop.json": "Per agent: curated-answer settings, question groups (visitors' questions that "
    "went unanswered or were disliked, grouped), test questions and test runs. Votes and comments are on the messages "
    "in conversations.json; curated answers are Q&A pairs in documents.json.",
}
"""A workspace's export: everything the workspace holds."""

EXPORT_FILES = PERSON_EXPORT_FILES | WORKSPACE_EXPORT_FILES
"""Every file either archive may hold, with its description."""


class ExportBuilt(msgspec.Struct, frozen=True, kw_only=True):
    """The archive was built: its size and how many members it holds (the manifest included)."""

    export_id: str
    bytes: int
    files: int


class ExportSkipped(msgspec.Struct, frozen=True, kw_only=True):
    """Nothing was built: the export is unknown, gone or not queued (a ready one is not rebuilt)."""

    skipped: bool = True


class ImprovementLoopExport(msgspec.Struct, frozen=True, kw_only=True):
    """One agent's improvement-loop data (issue 19) in ``improvement_loop.json``."""

    agent_id: str
    curated_settings: CuratedSettings | None
    question_groups: list[QuestionGroup]
    test_questions: list[TestQuestion]
    test_runs: list[TestRun]


class BuildExport:
    """The worker's half of an export: a zip of JSON files with a manifest (schema in
    docs/privacy.md), stored under the asking person's folder of the blob store, kept 7 days;
    the person gets an e-mail. Idempotent: a ready export is not rebuilt.

    Rules: the person's export holds the person (:data:`PERSON_EXPORT_FILES`); a workspace
    export holds that workspace (:data:`WORKSPACE_EXPORT_FILES`, with the documents' originals)
    and is built only while the person still owns it (else it fails, nothing is written).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        blobs: BlobStore,
        request_log: RequestLog,
        mailer: Mailer,
        base_url: str,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._request_log = request_log
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")

    async def __call__(self, account_id: str, export_id: str) -> ExportBuilt | ExportSkipped:
        originals: dict[str, str] = {}
        async with self._uow(account_id=account_id) as uow:
            export = await uow.privacy.get_export(account_id, export_id)
            account = await uow.accounts.get(account_id)
            if export is None or account is None or export.status is not ExportStatus.QUEUED:
                return ExportSkipped()
            if export.workspace_id is None:
                files = await _person_files(uow, account)
        if export.workspace_id is None:
            async with self._uow(account_id=None) as uow:
                files["memberships.json"] = await _memberships(uow, account_id)
        if export.workspace_id is not None:
            workspace = await self._owned_workspace(account_id, export.workspace_id)
            if workspace is None:
                await self._fail(export, "The workspace is gone, or you no longer own it.")
                return ExportSkipped()
            async with self._uow(account_id=workspace.id) as uow:
                files = await _workspace_files(uow, workspace, originals)
            files["request_log.json"] = _json(await self._request_log.recent(workspace.id, 100_000))
        now = self._clock.now()
        key = export_blob_key(account_id, export_id)
        size = await write_export_archive(
            self._blobs,
            key,
            files=files,
            originals=originals,
            descriptions=EXPORT_FILES,
            manifest=ExportManifest(
                schema_version=EXPORT_SCHEMA_VERSION,
                export_id=export_id,
                account_id=account_id,
                workspace_id=export.workspace_id,
                generated_at=now.isoformat(),
                format="docs/privacy.md#export-archive",
            ),
        )
        async with self._uow(account_id=account_id) as uow:
            ready = msgspec.structs.replace(
                export, status=ExportStatus.READY, ready_at=now, blob_key=key, size_bytes=size
            )
            await uow.privacy.update_export(ready)
            await record(uow, account_id, RightsAction.EXPORT_READY, now, export_id=export_id, bytes=size)
            await uow.commit()
        what = "your data" if export.workspace_id is None else "the workspace's data"
        await self._mailer.send(
            EmailMessage(
                to=account.email,
                kind="export_ready",
                subject="Your Aioomi data export is ready",
                text=(
                    f"Hello {account.full_name},\n\nThe archive of {what} is ready. Sign in and download it from "
                    f"{self._base_url}/dashboard/account (the download link works {int(EXPORT_LINK_TTL.total_seconds() // 60)} "
                    f"minutes once made; the archive is kept until {ready.expires_at:%Y-%m-%d}).\n"
                ),
            )
        )
        return ExportBuilt(export_id=export_id, bytes=size, files=len(files) + len(originals) + 1)

    async def _owned_workspace(self, account_id: str, workspace_id: str) -> Workspace | None:
        async with self._uow(account_id=None) as uow:
            membership = await uow.workspaces.membership(workspace_id, account_id)
            if membership is None or not permits(membership.role, Permission.EXPORT_WORKSPACE):
                return None
            return await uow.workspaces.get(workspace_id)

    async def _fail(self, export: DataExport, error: str) -> None:
        async with self._uow(account_id=export.account_id) as uow:
            await uow.privacy.update_export(msgspec.structs.replace(export, status=ExportStatus.FAILED, error=error))
            await uow.commit()


async def _person_files(uow: UnitOfWork, account: Account) -> dict[str, bytes]:
    """The person's archive: their account, sessions, devices, consents, rights log, memberships."""
    files: dict[str, bytes] = {}
    account_out = msgspec.to_builtins(account)
    account_out.pop("password_hash", None)
    account_out["sign_in_methods"] = [str(m) for m in account.sign_in_methods]
    files["account.json"] = _json(account_out)
    sessions = await uow.sessions.list_unrevoked(account.id)
    files["sessions.json"] = _json(
        [{k: v for k, v in msgspec.to_builtins(s).items() if k not in ("token_hash", "csrf_token")} for s in sessions]
    )
    devices = await uow.devices.list_for_account(account.id)
    files["trusted_devices.json"] = _json(
        [{"id": d.id, "created_at": d.created_at, "expires_at": d.expires_at} for d in devices]
    )
    state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
    events = await uow.privacy.list_events(account.id, 100_000)
    files["consents.json"] = _json(
        {
            "adult_attested_at": account.adult_attested_at,
            "accepted_policy_version": account.accepted_policy_version,
            "accepted_at": account.created_at,
            "policy_acceptances": [e for e in events if e.action == RightsAction.POLICY_ACCEPTED],
            "restricted_at": state.restricted_at,
            "objected_at": state.objected_at,
        }
    )
    files["audit_log.json"] = _json(events)
    return files


async def _memberships(uow: UnitOfWork, account_id: str) -> bytes:
    """The person's memberships with each workspace's name (a system-scope read: the person's
    rows across workspaces)."""
    memberships = []
    for membership in await uow.workspaces.memberships_of(account_id):
        workspace = await uow.workspaces.get(membership.workspace_id)
        memberships.append(
            {
                "workspace_id": membership.workspace_id,
                "workspace_name": workspace.name if workspace is not None else None,
                "role": membership.role,
                "since": membership.created_at,
            }
        )
    return _json(memberships)


async def _workspace_files(uow: UnitOfWork, workspace: Workspace, originals: dict[str, str]) -> dict[str, bytes]:
    """A workspace's archive; the originals' blob keys go to ``originals`` (copied later, one at a time)."""
    files: dict[str, bytes] = {}
    tenant = workspace.id
    members = await uow.workspaces.members(tenant)
    files["workspace.json"] = _json(
        {
            "id": workspace.id,
            "name": workspace.name,
            "created_at": workspace.created_at,
            "updated_at": workspace.updated_at,
            "members": [{"account_id": m.account_id, "role": m.role, "since": m.created_at} for m in members],
        }
    )
    keys = await uow.api_keys.list(tenant)
    files["api_keys.json"] = _json(
        [{k: v for k, v in msgspec.to_builtins(key).items() if k != "key_hash"} for key in keys]
    )
    agents_out, documents_out, conversations = [], [], []
    improvement: list[ImprovementLoopExport] = []
    async for agent in every_agent(uow, tenant):
        agent_out = msgspec.to_builtins(agent)
        agent_out["chat_retention_days"] = await uow.privacy.get_chat_retention(tenant, agent.id)
        agents_out.append(agent_out)
        for document in await uow.documents.list_all(tenant, agent.id):
            documents_out.append(msgspec.to_builtins(document))
            if document.blob_key:
                originals[f"documents/{document.id}/original"] = document.blob_key
            text = await uow.documents.get_text(tenant, document.id)
            if text is not None:
                files[f"documents/{document.id}/text.txt"] = text.encode()
        conversations.extend(await _agent_conversations(uow, tenant, agent.id))
        improvement.append(await _improvement_loop(uow, tenant, agent.id))
    files["agents.json"] = _json(agents_out)
    files["documents.json"] = _json(documents_out)
    files["conversations.json"] = _json(conversations)
    files["improvement_loop.json"] = _json(improvement)
    files["usage.json"] = _json(
        await uow.usage.totals(tenant, datetime(2000, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
    )
    files["billing.json"] = _json(
        {
            "subscription": await uow.billing.get_account(tenant),
            "records": await uow.billing.list_records(tenant, 100_000),
        }
    )
    files["audit_log.json"] = _json(await uow.workspaces.audit_events(tenant, 100_000))
    files["leads.json"] = _json(await uow.leads.list_leads(tenant, limit=100_000))
    files["webhook_endpoints.json"] = _json(
        [
            {k: v for k, v in msgspec.to_builtins(e).items() if k != "secret"}
            for e in await uow.webhooks.list_endpoints(tenant)
        ]
    )
    return files


async def _improvement_loop(uow: UnitOfWork, account_id: str, agent_id: str) -> ImprovementLoopExport:
    """An agent's improvement-loop data (issue 19) for the workspace's export."""
    return ImprovementLoopExport(
        agent_id=agent_id,
        curated_settings=await uow.curated_settings.get(account_id, agent_id),
        question_groups=await uow.question_groups.list(account_id, agent_id, status=None, limit=100_000),
        test_questions=await uow.test_questions.list_questions(account_id, agent_id),
        test_runs=await uow.test_questions.list_runs(account_id, agent_id, limit=100_000),
    )
