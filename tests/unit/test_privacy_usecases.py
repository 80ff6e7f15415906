"""The owner's rights and the retention sweeps on the memory container, with a manual clock."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.billing import BillingAccount, BillingRecord, RecordKind, account_ref
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.documents import DocumentUpload
from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound, Unavailable
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import Chunk, EmbeddedChunk, content_hash
from aioomi.domain.model.leads import Lead
from aioomi.domain.model.policy import CURRENT_POLICY_VERSION
from aioomi.domain.model.privacy import (
    DataExport,
    ExportStatus,
    InvalidDeletionGrace,
    ReauthenticationRequired,
    RetentionRun,
    chat_cutoff,
    check_deletion_grace,
    deletion_grace,
    months_before,
    outbox_retention,
)
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.model.usage import UsageEntry, UsageKind
from aioomi.domain.model.webhooks import WebhookEndpoint
from aioomi.domain.model.workspaces import AuditEvent, Membership, Role
from aioomi.domain.usecases.accounts.update_profile import ProfileChanges
from aioomi.domain.usecases.auth_support import open_session
from aioomi.domain.usecases.privacy.build_export import ExportBuilt, ExportSkipped
from aioomi.domain.usecases.privacy.support import ExportedConversation, ExportedLead
from aioomi.ports.accounts import PendingSignIn
from aioomi.settings import Settings, SettingsError, load_settings
from tests.integration.accounts_support import PASSWORD, last_mail_to, link_token
from tests.unit.test_account_usecases import (  # noqa: F401 - fixtures
    CLIENT,
    authenticates,
    clock,
    container,
    outbox,
    principal,
    request,
    rows,
    run_jobs,
    signed_up,
)

VISITOR = "visitor_0123456789abcdef"
TEXT = "# Privacy Policy\n\nA clearer retention table.\n"


async def _session(container: Container, account_id: str, agent_id: str, at: datetime, visitor: str = VISITOR) -> str:
    session = ChatSession(
        id=new_id("ses"), account_id=account_id, agent_id=agent_id, visitor_id=visitor, created_at=at, ip="198.51.100.7"
    )
    async with container.uow()(account_id=account_id) as uow:
        await uow.chat_sessions.add(session)
        await uow.commit()
    return session.id


def actions(container: Container, account_id: str) -> list[str]:
    return [e.action for e in rows(container, "privacy_audit_log") if e.account_id == account_id]


def test_months_before_clamps_to_the_month_end_and_the_agent_may_only_shorten() -> None:
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 1, tzinfo=UTC), 12) == datetime(2025, 3, 1, tzinfo=UTC)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert chat_cutoff(now, 30) == now - timedelta(days=30)
    assert chat_cutoff(now, 365) == datetime(2025, 3, 1, tzinfo=UTC)  # never longer than 12 months


async def test_rectification_is_audited(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    changed_at = clock.now()
    await container.update_profile()(
        principal(owner), ProfileChanges(full_name="Ada King", email="ada@new.example", current_password=PASSWORD)
    )
    clock.advance(timedelta(minutes=5))
    token = link_token(last_mail_to(outbox(container), "ada@new.example", "email_change"))
    await container.verify_email()(token, CLIENT)
    listed = await container.list_audit_log()(principal(owner))  # newest first
    assert [(e.action, e.at) for e in listed[:1]] == [("email_changed", changed_at + timedelta(minutes=5))]
    assert sorted((e.action, e.at) for e in listed[1:]) == [
        ("email_change_requested", changed_at),
        ("profile_updated", changed_at),
    ]
    assert [e.detail for e in listed if e.action == "profile_updated"] == [{"fields": ["full_name"]}]


async def test_restriction_stops_processing_and_lifting_restores_it(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    await container.request_log().add_many(
        [
            RequestLogEntry(
                occurred_at=container.clock().now(),
                method="GET",
                route="/api/v1/agents",
                status=200,
                latency_ms=1.0,
                account_id=who.account_id,
                ip="203.0.113.9",
            )
        ]
    )
    await container.restrict_processing()(who, restrict=True)
    assert rows(container, "accounts")[0].status is AccountStatus.RESTRICTED
    assert not await container.processing_allowed()(who.account_id)
    assert [(e.account_id, e.ip) for e in container.request_log().entries] == [(None, None)]
    await container.restrict_processing()(who, restrict=False)
    assert rows(container, "accounts")[0].status is AccountStatus.ACTIVE
    assert await container.processing_allowed()(who.account_id)
    assert actions(container, who.account_id).count("processing_restricted") == 1


async def test_objection_keeps_the_request_log_anonymous(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    logged = RequestLogEntry(
        occurred_at=container.clock().now(),
        method="GET",
        route="/x",
        status=200,
        latency_ms=1.0,
        account_id=who.account_id,
        ip="203.0.113.9",
    )
    await container.request_log().add_many([logged])  # before the objection: named
    assert [(e.account_id, e.ip) for e in container.request_log().entries] == [(who.account_id, "203.0.113.9")]
    await container.object_to_processing()(who, objecting=True)  # anonymises the older row at once
    await container.record_api_requests()([logged])  # a batch written after it: anonymous at write time
    assert [(e.account_id, e.ip) for e in container.request_log().entries] == [(None, None), (None, None)]
    summary = await container.retention_sweeps()()
    assert summary["analytics_opt_out"] == 0  # nothing left for the sweep to re-check
    assert all(e.account_id is None and e.ip is None for e in container.request_log().entries)
    state = await container.object_to_processing()(who, objecting=False)
    assert state.objected_at is None


async def _archive(container: Container, who, export_id: str) -> zipfile.ZipFile:
    token = (await container.issue_export_link()(who, export_id)).url.split("token=")[1]
    _, handle = await container.download_export()(token)
    with handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


PERSON_FILES = {
    "account.json",
    "sessions.json",
    "trusted_devices.json",
    "consents.json",
    "audit_log.json",
    "memberships.json",
}
WORKSPACE_FILES = {
    "workspace.json",
    "api_keys.json",
    "agents.json",
    "documents.json",
    "conversations.json",
    "improvement_loop.json",
    "usage.json",
    "request_log.json",
    "billing.json",
    "audit_log.json",
    "leads.json",
    "webhook_endpoints.json",
}


async def test_an_export_holds_every_category_with_a_manifest(container: Container) -> None:
    """The person's export holds the person; the workspace's export (apart, by an owner) holds
    the workspace: each archive lists exactly its categories, so one left out fails here."""
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await _session(container, who.account_id, agent.id, container.clock().now())
    export = await container.request_export()(who)
    assert await container.request_export()(who) == export  # one at a time
    result = await container.build_export()(who.account_id, export.id)
    assert result.bytes > 0
    archive = await _archive(container, who, export.id)
    manifest = json.loads(archive.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} == PERSON_FILES
    assert manifest["workspace_id"] is None
    account = json.loads(archive.read("account.json"))
    assert account["email"] == "ada@example.com" and "password_hash" not in account
    [membership] = json.loads(archive.read("memberships.json"))
    assert {k: membership[k] for k in ("workspace_id", "workspace_name", "role")} == {
        "workspace_id": who.account_id,
        "workspace_name": "My workspace",
        "role": "owner",
    }
    assert last_mail_to(outbox(container), "ada@example.com", "export_ready")

    workspace_export = await container.request_workspace_export()(who, who.workspace_id)
    assert workspace_export.workspace_id == who.workspace_id and workspace_export.id != export.id
    assert await container.request_workspace_export()(who, who.workspace_id) == workspace_export  # one at a time
    await container.build_export()(who.account_id, workspace_export.id)
    archive = await _archive(container, who, workspace_export.id)
    manifest = json.loads(archive.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} == WORKSPACE_FILES
    assert manifest["workspace_id"] == who.workspace_id
    assert json.loads(archive.read("conversations.json"))[0]["visitor_id"] == VISITOR
    [member] = json.loads(archive.read("workspace.json"))["members"]
    assert (member["account_id"], member["role"]) == (who.account_id, "owner")

    token = (await container.issue_export_link()(who, export.id)).url.split("token=")[1]  # a link works once
    container.clock().advance(timedelta(minutes=31))
    with pytest.raises(InvalidInput):
        await container.download_export()(token)
    assert "export_downloaded" in actions(container, who.account_id)
    assert "workspace_export_requested" in actions(container, who.account_id)


async def test_erasure_needs_the_password_revokes_at_once_and_can_be_cancelled(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    key = await container.create_api_key()(who, "ci", ["agents:read"])
    with pytest.raises(ReauthenticationRequired):
        await container.request_account_deletion()(who, "wrong password!")
    asked_at = container.clock().now()
    scheduled = await container.request_account_deletion()(who, PASSWORD)
    assert scheduled.purge_after == asked_at + timedelta(days=7)  # the default grace: 7 days
    assert not await authenticates(container, owner.token)
    assert [(k.id, k.revoked_at) for k in rows(container, "api_keys")] == [(key.key.id, asked_at)]
    assert rows(container, "accounts")[0].status is AccountStatus.DELETION_PENDING
    token = link_token(last_mail_to(outbox(container), "ada@example.com", "deletion_scheduled"))
    await container.cancel_account_deletion()(token)
    assert rows(container, "accounts")[0].status is AccountStatus.ACTIVE
    with pytest.raises(InvalidInput):
        await container.cancel_account_deletion()(token)  # used
    await container.purge_deleted_accounts()()
    assert len(rows(container, "accounts")) == 1


async def test_the_purge_waits_for_the_grace_period_then_removes_everything(
    container: Container, clock: ManualClock
) -> None:
    owner = await signed_up(container, "ada@example.com")
    other = await signed_up(container, "bob@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await _session(container, who.account_id, agent.id, clock.now())
    async with container.uow()(account_id=who.account_id) as uow:
        await uow.billing.save_record(
            BillingRecord(
                id="brec_ada",
                kind=RecordKind.INVOICE,
                stripe_id="in_ada",
                account_id=who.account_id,
                account_ref=account_ref(who.account_id),
                stripe_customer_id="cus_ada",
                stripe_invoice_id="in_ada",
                stripe_subscription_id=None,
                amount_minor=1900,
                currency="eur",
                status="paid",
                period_start=None,
                period_end=None,
                occurred_at=clock.now(),
                status_at=clock.now(),
                created_at=clock.now(),
            )
        )
        await uow.commit()
    asked_at = clock.now()
    await container.request_account_deletion()(who, PASSWORD)
    # One second before the 7 days are up, a purge run finds the account due for nothing: all of
    # it is still there (the purge is not merely a no-op, it is not yet allowed).
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert await container.purge_deleted_accounts()() == 0
    assert sorted(a.email for a in rows(container, "accounts")) == ["ada@example.com", "bob@example.com"]
    assert [s.account_id for s in rows(container, "chat_sessions")] == [who.account_id]
    clock.advance(timedelta(seconds=1))
    assert clock.now() == asked_at + timedelta(days=7)
    assert await container.purge_deleted_accounts()() == 1
    for name, table in container.memory_database().tables.items():
        for row in table.values():
            encoded = msgspec.json.encode(row)
            assert who.account_id.encode() not in encoded and b"ada@example.com" not in encoded, (name, row)
    assert [a.id for a in rows(container, "accounts")] == [other.account.id]
    assert [r.kind for r in rows(container, "retention_runs")] == ["deleted_accounts", "deleted_accounts"]
    # The billing record stays 7 years, detached: no account, a one-way reference.
    assert [(r.id, r.account_id, r.account_ref) for r in rows(container, "billing_records")] == [
        ("brec_ada", None, account_ref(who.account_id))
    ]


async def test_the_purge_erases_every_workspace_the_person_alone_owns_files_included(
    container: Container, clock: ManualClock
) -> None:
    """A workspace the person created (its own id, not theirs) goes with them like their own:
    its rows and its documents' files (issue 21; the account purge runs PurgeWorkspace for it)."""
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    created = await container.create_workspace()(who, "Second shop")
    there = msgspec.structs.replace(who, workspace_id=created.id)
    agent = await container.create_agent()(there, AgentSettings(name="Helper"))
    upload = DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain")
    document, _ = await container.add_document()(there, agent.id, upload)
    blobs = container.blob_store()
    assert document.blob_key is not None and document.blob_key.startswith(f"{created.id}/")
    assert await blobs.exists(document.blob_key)
    await container.request_account_deletion()(who, PASSWORD)
    clock.advance(timedelta(days=7))
    assert await container.purge_deleted_accounts()() == 1
    for name, table in container.memory_database().tables.items():
        for row in table.values():
            assert created.id.encode() not in msgspec.json.encode(row), (name, row)
    assert not await blobs.exists(document.blob_key)


async def test_a_google_only_account_reauthenticates_with_a_fresh_session(
    container: Container, clock: ManualClock
) -> None:
    owner = await signed_up(container, "ada@example.com")
    async with container.uow()(account_id=owner.account.id) as uow:
        account = await uow.accounts.get(owner.account.id)
        await uow.accounts.update(msgspec.structs.replace(account, password_hash=None, google_subject="g-123"))
        await uow.commit()
    clock.advance(timedelta(minutes=10, seconds=1))  # the session is now 10 min 1 s old: too old
    with pytest.raises(ReauthenticationRequired):
        await container.request_account_deletion()(principal(owner), None)
    assert rows(container, "accounts")[0].status is AccountStatus.ACTIVE
    async with container.uow()(account_id=owner.account.id) as uow:  # a new sign-in, now
        signed = await open_session(
            uow, await uow.accounts.get(owner.account.id), clock.now(), container.session_policy(), CLIENT
        )
        await uow.commit()
    fresh = msgspec.structs.replace(principal(owner), session_id=signed.session.id)
    clock.advance(timedelta(minutes=10))  # exactly 10 minutes old: still fresh
    await container.request_account_deletion()(fresh, None)
    assert rows(container, "accounts")[0].status is AccountStatus.DELETION_PENDING


async def test_visitor_conversations_are_found_exported_and_deleted(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await _session(container, who.account_id, agent.id, container.clock().now())
    await _session(container, who.account_id, agent.id, container.clock().now(), visitor="someone_else_0000000")
    assert len(await container.find_visitor_conversations()(who, VISITOR)) == 1
    assert len(await container.export_visitor_conversations()(who, VISITOR)) == 1
    assert await container.delete_visitor_conversations()(who, VISITOR) == 1
    assert [s.visitor_id for s in rows(container, "chat_sessions")] == ["someone_else_0000000"]


async def test_chats_go_after_12_months_or_the_agents_shorter_setting(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    keeps_year = await container.create_agent()(who, AgentSettings(name="Year"))
    keeps_month = await container.create_agent()(who, AgentSettings(name="Month"))
    with pytest.raises(InvalidInput):
        await container.chat_retention()(who, keeps_month.id, 400)
    await container.chat_retention()(who, keeps_month.id, 30)
    year = await _session(container, who.account_id, keeps_year.id, clock.now())
    month = await _session(container, who.account_id, keeps_month.id, clock.now())
    clock.advance(timedelta(days=30))
    await container.retention_sweeps()()
    assert {s.id for s in rows(container, "chat_sessions")} == {year, month}
    clock.advance(timedelta(seconds=1))
    await container.retention_sweeps()()
    assert {s.id for s in rows(container, "chat_sessions")} == {year}
    clock.advance(timedelta(days=366))
    summary = await container.retention_sweeps()()
    assert rows(container, "chat_sessions") == [] and summary["chats"] == 1
    kinds = {r.kind for r in await container.retention_report()()}
    assert {
        "chats",
        "request_log",
        "owner_sessions",
        "exports",
        "knowledge_orphans",
        "finished_jobs",
        "billing_records",
    } <= kinds


async def test_a_policy_change_is_announced_30_days_ahead_to_every_account(
    container: Container, clock: ManualClock
) -> None:
    owner = await signed_up(container, "ada@example.com")
    await signed_up(container, "bob@example.com")
    today = clock.now().date()
    with pytest.raises(InvalidInput):
        await container.publish_policy_version()(today + timedelta(days=29), "", TEXT)
    with pytest.raises(InvalidInput):
        await container.publish_policy_version()(today + timedelta(days=30), "No text.", "  ")
    version = await container.publish_policy_version()(today + timedelta(days=30), "Clearer retention.", TEXT)
    with pytest.raises(Conflict):
        await container.publish_policy_version()(today + timedelta(days=30), "", TEXT)
    assert await container.send_policy_notices()() == 2
    assert await container.send_policy_notices()() == 0
    assert {m.to for m in outbox(container) if m.kind == "policy_change"} == {"ada@example.com", "bob@example.com"}
    status = await container.policy_status()(principal(owner))
    assert status.current.version == "2026-02-15" and status.must_accept == version.version
    await container.accept_policy()(principal(owner), version.version)
    assert (await container.policy_status()(principal(owner))).must_accept is None
    clock.advance(timedelta(days=30))
    assert (await container.policy_status()(None)).current.version == version.version
    assert version.effective_on == date.fromisoformat(version.version)


# -- the 30-day cap on the deletion grace: settings, domain (the database: test_privacy_erasure) --


def test_a_grace_above_30_days_is_refused_by_the_settings() -> None:
    assert load_settings({"AIOOMI_ACCOUNT_DELETION_GRACE_DAYS": "30"}).account_deletion_grace_days == 30
    with pytest.raises(SettingsError) as refused:
        load_settings({"AIOOMI_ACCOUNT_DELETION_GRACE_DAYS": "31"})
    assert refused.value.variable == "AIOOMI_ACCOUNT_DELETION_GRACE_DAYS"


def test_a_grace_above_30_days_is_refused_by_the_domain_never_clamped() -> None:
    assert deletion_grace(30) == timedelta(days=30)
    assert deletion_grace(0) == timedelta(0)
    for days in (31, 60, -1):
        with pytest.raises(InvalidDeletionGrace):
            deletion_grace(days)
    with pytest.raises(InvalidDeletionGrace):
        check_deletion_grace(timedelta(days=30, seconds=1))


async def test_the_erasure_use_case_refuses_a_grace_above_30_days(container: Container) -> None:
    # Settings built in code skip their own validation: the use case is the wall that stays.
    container.deletion_grace.override(providers.Object(timedelta(days=31)))
    with pytest.raises(InvalidDeletionGrace):
        container.request_account_deletion()
    container.deletion_grace.override(providers.Object(timedelta(days=30)))
    owner = await signed_up(container, "ada@example.com")
    asked_at = container.clock().now()
    scheduled = await container.request_account_deletion()(principal(owner), PASSWORD)
    assert scheduled.purge_after == asked_at + timedelta(days=30)


# -- objection and restriction honoured as the request log is written ---------------------------


async def test_objection_anonymises_request_log_entries_as_they_are_written(container: Container) -> None:
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    at = container.clock().now()

    def entry(account_id: str) -> RequestLogEntry:
        return RequestLogEntry(
            occurred_at=at,
            method="GET",
            route="/api/v1/agents",
            status=200,
            latency_ms=1.0,
            account_id=account_id,
            ip="203.0.113.9",
        )

    await container.object_to_processing()(principal(ada), objecting=True)
    await container.record_api_requests()([entry(ada.account.id), entry(bob.account.id)])
    # No sweep ran: the entry was written anonymous.
    assert [(e.account_id, e.ip) for e in container.request_log().entries] == [
        (None, None),
        (bob.account.id, "203.0.113.9"),
    ]
    await container.object_to_processing()(principal(ada), objecting=False)
    await container.restrict_processing()(principal(bob), restrict=True)
    await container.record_api_requests()([entry(ada.account.id), entry(bob.account.id)])
    assert [(e.account_id, e.ip) for e in container.request_log().entries[2:]] == [
        (ada.account.id, "203.0.113.9"),
        (None, None),
    ]


# -- outbox retention -------------------------------------------------------------------------------


async def test_outbox_mails_go_7_days_after_sending_and_the_purge_leaves_none_to_the_erased(
    container: Container, clock: ManualClock
) -> None:
    owner = await signed_up(container, "ada@example.com")  # a verification mail to each, at t0
    await signed_up(container, "bob@example.com")
    clock.advance(timedelta(days=1))
    await container.request_account_deletion()(principal(owner), PASSWORD)  # t0 + 1 day; purge at t0 + 8 days

    def kept() -> list[tuple[str, str]]:
        return [(m.to, m.kind) for m in outbox(container)]

    clock.advance(timedelta(days=6))  # t0 + 7 days: the verification mails are exactly 7 days old
    assert (await container.retention_sweeps()())["outbox"] == 0
    assert kept() == [
        ("ada@example.com", "verify_email"),
        ("bob@example.com", "verify_email"),
        ("ada@example.com", "deletion_scheduled"),
    ]
    clock.advance(timedelta(seconds=1))
    assert (await container.retention_sweeps()())["outbox"] == 2
    assert kept() == [("ada@example.com", "deletion_scheduled")]

    clock.advance(timedelta(days=1) - timedelta(seconds=1))  # t0 + 8 days: the purge
    assert await container.purge_deleted_accounts()() == 1
    assert kept() == [("ada@example.com", "account_deleted")]  # sent after every other was removed
    clock.advance(timedelta(days=7))
    assert (await container.retention_sweeps()())["outbox"] == 0
    clock.advance(timedelta(seconds=1))
    assert (await container.retention_sweeps()())["outbox"] == 1
    assert kept() == []


def test_the_outbox_retention_is_configurable_within_bounds() -> None:
    assert outbox_retention(7) == timedelta(days=7)
    assert Settings(data_dir="/tmp/x").outbox_retention_days == 7
    for days in (0, 91):
        with pytest.raises(InvalidInput):
            outbox_retention(days)
    assert load_settings({"AIOOMI_OUTBOX_RETENTION_DAYS": "3"}).outbox_retention_days == 3
    with pytest.raises(SettingsError):
        load_settings({"AIOOMI_OUTBOX_RETENTION_DAYS": "0"})


# -- the purge, step by step (tests added to kill surviving mutants, see docs/privacy.md) --------


class RecordingGateway:
    """A payment gateway that records what it was asked and fails while ``down``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.down = False
        self.missing: set[str] = set()

    async def _call(self, name: str, object_id: str) -> None:
        self.calls.append((name, object_id))
        if self.down:
            raise Unavailable("Stripe is down.", code="payment_provider_unavailable")
        if object_id in self.missing:
            raise NotFound("No such object.", code="payment_object_not_found")

    async def cancel_subscription(self, subscription_id: str) -> None:
        await self._call("cancel_subscription", subscription_id)

    async def delete_customer(self, customer_id: str) -> None:
        await self._call("delete_customer", customer_id)

    async def aclose(self) -> None:
        return None


async def _billed(container: Container, email: str, customer: str | None, subscription: str | None) -> str:
    owner = await signed_up(container, email)
    async with container.uow()(account_id=owner.account.id) as uow:
        await uow.billing.save_account(
            BillingAccount(account_id=owner.account.id, customer_id=customer, subscription_id=subscription)
        )
        await uow.commit()
    await container.request_account_deletion()(principal(owner), PASSWORD)
    return owner.account.id


async def test_the_purge_deletes_the_stripe_customer_and_queues_a_retry_when_stripe_is_down(
    container: Container, clock: ManualClock
) -> None:
    gateway = RecordingGateway()
    container.payment_gateway.override(providers.Object(gateway))
    await _billed(container, "ada@example.com", "cus_ada", "sub_ada")
    await _billed(container, "bob@example.com", "cus_bob", None)  # a customer without a subscription
    assert gateway.calls == [("cancel_subscription", "sub_ada")]  # at request time
    clock.advance(timedelta(days=7))
    gateway.calls.clear()
    assert await container.purge_deleted_accounts()() == 2
    assert sorted(gateway.calls) == [
        ("cancel_subscription", "sub_ada"),
        ("delete_customer", "cus_ada"),
        ("delete_customer", "cus_bob"),
    ]

    await _billed(container, "cy@example.com", None, "sub_cy")
    gateway.down = True
    clock.advance(timedelta(days=7))
    assert await container.purge_deleted_accounts()() == 1  # Stripe down: the purge goes on
    assert [a.email for a in rows(container, "accounts")] == []
    jobs = [j for j in container.job_store()._jobs.values() if j.kind == "privacy.delete_stripe_customer"]
    assert [(j.payload, j.max_attempts, j.dedupe_key) for j in jobs] == [
        ({"subscription_id": "sub_cy", "customer_id": ""}, 30, "privacy.delete_stripe_customer::sub_cy")
    ]
    gateway.down = False
    gateway.missing = {"sub_cy"}  # already gone: fine
    gateway.calls.clear()
    assert await container.delete_stripe_customer()("sub_cy", "") == {"deleted": True}
    assert gateway.calls == [("cancel_subscription", "sub_cy")]
    gateway.down = True
    with pytest.raises(Unavailable):  # the job fails, so the worker retries it
        await container.delete_stripe_customer()("sub_cy", "cus_cy")


async def test_without_stripe_the_purge_skips_it_and_the_retry_job_does_nothing(
    container: Container, clock: ManualClock
) -> None:
    await _billed(container, "ada@example.com", "cus_ada", "sub_ada")
    clock.advance(timedelta(days=7))
    assert await container.purge_deleted_accounts()() == 1
    assert await container.delete_stripe_customer()("sub_ada", "cus_ada") == {"skipped": True}


async def test_the_purge_takes_only_accounts_being_deleted_in_bounded_batches(
    container: Container, clock: ManualClock
) -> None:
    kept = await signed_up(container, "kept@example.com")
    for name in ("ada", "bob", "cy"):
        await _billed(container, f"{name}@example.com", None, None)
    clock.advance(timedelta(days=7))
    purge = container.purge_deleted_accounts()
    await container.purge_deleted_account()(kept.account.id)  # not being deleted: left alone
    purge._batch = 1
    assert await purge() == 3
    assert [a.email for a in rows(container, "accounts")] == ["kept@example.com"]
    [deleted] = [m for m in outbox(container) if m.to == "cy@example.com" and m.kind == "account_deleted"]
    assert deleted.subject == "Your Aioomi account is deleted"
    assert "Billing records are kept for 7 years, as tax law requires, without your profile." in deleted.text


async def test_expired_exports_lose_their_file_then_their_row(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    export = await container.request_export()(principal(owner))
    await container.build_export()(owner.account.id, export.id)
    [ready] = rows(container, "data_exports")
    assert await container.blob_store().get(ready.blob_key) is not None
    clock.advance(timedelta(days=7))
    summary = await container.retention_sweeps()()
    assert summary["exports"] == 1
    assert rows(container, "data_exports") == [] and await container.blob_store().get(ready.blob_key) is None


async def test_sweeps_count_every_batch_and_keep_links_until_7_days_after_expiry(
    container: Container, clock: ManualClock
) -> None:
    await container.sign_up()(request("ada@example.com"), CLIENT)  # a verification link, 48 hours
    await run_jobs(container)
    [token] = rows(container, "one_time_tokens")
    who = principal(await signed_up(container, "bob@example.com"))
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    for _ in range(3):
        await _session(container, who.account_id, agent.id, clock.now() - timedelta(days=400))
    await container.request_log().add_many(
        [
            RequestLogEntry(
                occurred_at=clock.now() - timedelta(days=91), method="GET", route="/x", status=200, latency_ms=1.0
            )
            for _ in range(3)
        ]
    )
    sweeps = container.retention_sweeps()
    sweeps._batch = 1
    clock.advance(token.expires_at - clock.now() + timedelta(days=7))  # exactly 7 days after expiry
    summary = await sweeps()
    assert (summary["chats"], summary["request_log"], summary["one_time_tokens"]) == (3, 3, 0)
    assert [t.id for t in rows(container, "one_time_tokens") if t.id == token.id] == [token.id]
    clock.advance(timedelta(seconds=1))
    assert (await sweeps())["one_time_tokens"] >= 1
    assert [t.id for t in rows(container, "one_time_tokens") if t.id == token.id] == []


# -- the last three survivors of retention.py (see docs/privacy.md, "Mutation testing") -----------


async def test_pending_google_sign_ins_go_exactly_one_day_after_expiry(
    container: Container, clock: ManualClock
) -> None:
    expires = clock.now() + timedelta(minutes=10)
    async with container.uow()(account_id=None) as uow:
        await uow.pending_sign_ins.add(
            PendingSignIn(
                state_hash="state-hash-1", nonce="n", code_verifier="v", created_at=clock.now(), expires_at=expires
            )
        )
        await uow.commit()
    sweeps = container.retention_sweeps()
    clock.advance(expires + timedelta(days=1) - clock.now())  # exactly one day after expiry: kept
    assert (await sweeps())["pending_sign_ins"] == 0
    assert [p.state_hash for p in rows(container, "pending_sign_ins")] == ["state-hash-1"]
    clock.advance(timedelta(seconds=1))
    assert (await sweeps())["pending_sign_ins"] == 1
    assert rows(container, "pending_sign_ins") == []


def _chunk(position: int, text: str) -> EmbeddedChunk:
    return EmbeddedChunk(
        chunk=Chunk(
            text=text,
            position=position,
            heading_path=(),
            char_start=0,
            char_end=len(text),
            token_count=len(text.split()),
            content_hash=content_hash(text),
        ),
        embedding=[1.0, 0.0, 0.0, 0.0],
    )


async def test_the_orphan_sweep_removes_chunks_and_files_of_documents_that_are_gone(container: Container) -> None:
    chunks, blobs = container.chunk_store(), container.blob_store()
    # two documents whose rows are gone (a crash between the row and its chunks), in two agents
    for agent, document, texts in (("agt_a", "doc_gone1", ["one", "two"]), ("agt_b", "doc_gone2", ["three"])):
        await chunks.replace_document(
            account_id="acct_x",
            agent_id=agent,
            document_id=document,
            embedding_model="m",
            chunks=[_chunk(i, t) for i, t in enumerate(texts)],
        )
        await blobs.put(f"acct_x/{agent}/{document}/v1-0123456789abcdef", b"original")
    await blobs.put("acct_x/agt_a/doc_other/v1-0123456789abcdef", b"another document's file")
    sweeps = container.retention_sweeps()
    sweeps._batch = 1
    assert (await sweeps())["knowledge_orphans"] == 3  # chunks removed: 2 + 1
    assert await chunks.count(account_id="acct_x", agent_id="agt_a") == 0
    assert await chunks.count(account_id="acct_x", agent_id="agt_b") == 0
    assert await blobs.get("acct_x/agt_a/doc_gone1/v1-0123456789abcdef") is None
    assert await blobs.get("acct_x/agt_b/doc_gone2/v1-0123456789abcdef") is None
    assert await blobs.get("acct_x/agt_a/doc_other/v1-0123456789abcdef") == b"another document's file"
    assert (await sweeps())["knowledge_orphans"] == 0  # nothing left


async def test_a_customer_without_subscription_is_retried_with_an_empty_subscription_id(
    container: Container, clock: ManualClock
) -> None:
    gateway = RecordingGateway()
    gateway.down = True
    container.payment_gateway.override(providers.Object(gateway))
    await _billed(container, "bob@example.com", "cus_bob", None)
    clock.advance(timedelta(days=7))
    assert await container.purge_deleted_accounts()() == 1
    jobs = [j for j in container.job_store()._jobs.values() if j.kind == "privacy.delete_stripe_customer"]
    assert [(j.payload, j.dedupe_key) for j in jobs] == [
        ({"subscription_id": "", "customer_id": "cus_bob"}, "privacy.delete_stripe_customer:cus_bob:")
    ]
    gateway.down = False
    gateway.calls.clear()
    assert await container.delete_stripe_customer()(**jobs[0].payload) == {"deleted": True}
    assert gateway.calls == [("delete_customer", "cus_bob")]  # no subscription to cancel


async def test_expired_exports_are_swept_batch_by_batch_and_counted(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    async with container.uow()(account_id=owner.account.id) as uow:
        for i in range(2):
            await uow.privacy.add_export(
                DataExport(
                    id=f"exp_{i}",
                    account_id=owner.account.id,
                    status=ExportStatus.QUEUED,
                    created_at=clock.now(),
                    expires_at=clock.now() + timedelta(days=7),
                )
            )
        await uow.commit()
    sweeps = container.retention_sweeps()
    sweeps._batch = 1
    clock.advance(timedelta(days=7))  # due at their very expiry
    assert (await sweeps())["exports"] == 2
    assert rows(container, "data_exports") == []


async def test_with_an_smtp_relay_the_outbox_sweep_has_nothing_to_remove(container: Container) -> None:
    container.kept_mail.override(providers.Object(None))  # mail goes to a relay: nothing kept here
    try:
        assert (await container.retention_sweeps()())["outbox"] == 0
    finally:
        container.kept_mail.reset_override()


async def test_the_retention_report_lists_the_50_newest_runs_or_as_many_as_asked(container: Container) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with container.uow()(account_id=None) as uow:
        for i in range(51):
            at = start + timedelta(hours=i)
            await uow.privacy.add_run(
                RetentionRun(id=f"run_{i:02d}", kind="chats", started_at=at, finished_at=at, removed=i)
            )
        await uow.commit()
    report = container.retention_report()
    assert [r.id for r in await report()] == [f"run_{i:02d}" for i in range(50, 0, -1)]  # run_00 is the 51st
    assert [r.id for r in await report(2)] == ["run_50", "run_49"]


async def test_one_sweep_runs_every_kind_and_reports_each_the_leads_and_webhook_events_included(
    container: Container,
) -> None:
    kinds = [
        "chats",
        "request_log",
        "owner_sessions",
        "one_time_tokens",
        "pending_sign_ins",
        "trusted_devices",
        "exports",
        "knowledge_orphans",
        "analytics_opt_out",
        "finished_jobs",
        "billing_records",
        "outbox",
        "retention_runs",
        "leads",  # the two steps of other areas, given to the sweep by the container
        "webhook_events",
    ]
    assert await container.retention_sweeps()() == dict.fromkeys(kinds, 0)  # nothing to remove yet


async def test_an_exports_manifest_result_sessions_and_request_log_are_the_accounts_without_secrets(
    container: Container,
) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    at = container.clock().now()
    entry = dict(occurred_at=at, method="GET", route="/api/v1/agents", status=200, latency_ms=1.5, ip="203.0.113.9")
    await container.request_log().add_many(
        [RequestLogEntry(account_id=who.account_id, **entry), RequestLogEntry(account_id="acc_someone_else", **entry)]
    )
    export = await container.request_export()(who)
    built = await container.build_export()(who.account_id, export.id)
    async with container.uow()(account_id=who.account_id) as uow:
        blob_key = (await uow.privacy.get_export(who.account_id, export.id)).blob_key
    workspace_export = await container.request_workspace_export()(who, who.workspace_id)
    await container.build_export()(who.account_id, workspace_export.id)
    async with container.uow()(account_id=who.account_id) as uow:
        workspace_key = (await uow.privacy.get_export(who.account_id, workspace_export.id)).blob_key
    workspace_archive = zipfile.ZipFile(io.BytesIO(await container.blob_store().get(workspace_key)))
    raw = await container.blob_store().get(blob_key)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert built == ExportBuilt(export_id=export.id, bytes=len(raw), files=len(archive.namelist()))  # the job's result
    account = json.loads(archive.read("account.json"))
    assert account["sign_in_methods"] == ["password"] and "password_hash" not in account
    [session] = json.loads(archive.read("sessions.json"))  # the signed-in session, without its secrets
    assert session["account_id"] == who.account_id and not {"token_hash", "csrf_token"} & set(session)
    manifest = json.loads(archive.read("manifest.json"))
    assert {k: manifest[k] for k in ("schema_version", "export_id", "account_id", "generated_at", "format")} == {
        "schema_version": 1,
        "export_id": export.id,
        "account_id": who.account_id,
        "generated_at": at.isoformat(),
        "format": "docs/privacy.md#export-archive",
    }
    assert "request_log.json" not in archive.namelist()  # the log is the workspace's
    logged = json.loads(workspace_archive.read("request_log.json"))
    assert [(e["account_id"], e["route"], e["ip"]) for e in logged] == [
        (who.account_id, "/api/v1/agents", "203.0.113.9")
    ]


async def test_an_exports_keys_agents_and_documents_are_the_accounts_and_no_key_hash_leaves(
    container: Container,
) -> None:
    who = principal(await signed_up(container, "ada@example.com"))
    await container.create_api_key()(who, "reader", ["agents:read"])
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await container.chat_retention()(who, agent.id, 30)
    upload = DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain")
    document, _ = await container.add_document()(who, agent.id, upload)
    export = await container.request_workspace_export()(who, who.workspace_id)  # keys and agents: the workspace's
    await container.build_export()(who.account_id, export.id)
    async with container.uow()(account_id=who.account_id) as uow:
        blob_key = (await uow.privacy.get_export(who.account_id, export.id)).blob_key
    archive = zipfile.ZipFile(io.BytesIO(await container.blob_store().get(blob_key)))
    [key] = json.loads(archive.read("api_keys.json"))
    assert key["name"] == "reader" and key["account_id"] == who.account_id and "key_hash" not in key
    [agent_out] = json.loads(archive.read("agents.json"))
    assert (agent_out["id"], agent_out["chat_retention_days"]) == (agent.id, 30)
    assert [d["id"] for d in json.loads(archive.read("documents.json"))] == [document.id]


async def test_a_visitors_leads_are_exported_after_their_conversations_and_deleted_with_them(
    container: Container,
) -> None:
    who = principal(await signed_up(container, "ada@example.com"))
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    at = container.clock().now()
    await _session(container, who.account_id, agent.id, at)
    async with container.uow()(account_id=who.account_id) as uow:
        for lead_id, visitor in (("lead_1", VISITOR), ("lead_2", "someone_else_0000000")):
            await uow.leads.add_lead(
                Lead(
                    id=lead_id,
                    account_id=who.account_id,
                    agent_id=agent.id,
                    visitor_id=visitor,
                    values={"email": f"{lead_id}@example.com"},
                    consent_text="You may contact me.",
                    privacy_url=None,
                    created_at=at,
                )
            )
        await uow.commit()
    exported = await container.export_visitor_conversations()(who, VISITOR)
    assert [type(item) for item in exported] == [ExportedConversation, ExportedLead]  # the conversation, then the lead
    lead = exported[1]
    assert isinstance(lead, ExportedLead)
    assert lead.lead.id == "lead_1" and lead.lead.values == {"email": "lead_1@example.com"}
    assert await container.delete_visitor_conversations()(who, VISITOR) == 1
    async with container.uow()(account_id=who.account_id) as uow:
        assert await uow.leads.list_for_visitor(who.account_id, VISITOR) == []
        assert [lead.id for lead in await uow.leads.list_for_visitor(who.account_id, "someone_else_0000000")] == [
            "lead_2"
        ]


async def test_a_visitors_export_is_audited_with_its_number_of_conversations_not_counting_leads(
    container: Container,
) -> None:
    """Kills `ExportVisitorConversations.__call__` 39 (37 in the morning run: the audit event's
    ``sessions`` adds the leads instead of subtracting them): two conversations in two agents
    and two leads are exported, and the audit event counts 2 sessions, not 4 or 6."""
    who = principal(await signed_up(container, "ada@example.com"))
    first = await container.create_agent()(who, AgentSettings(name="Helper"))
    second = await container.create_agent()(who, AgentSettings(name="Sales"))
    at = container.clock().now()
    await _session(container, who.account_id, first.id, at)
    await _session(container, who.account_id, second.id, at)
    await _session(container, who.account_id, first.id, at, visitor="someone_else_0000000")  # not this visitor's
    async with container.uow()(account_id=who.account_id) as uow:
        for lead_id in ("lead_1", "lead_2"):
            await uow.leads.add_lead(
                Lead(
                    id=lead_id,
                    account_id=who.account_id,
                    agent_id=first.id,
                    visitor_id=VISITOR,
                    values={"email": f"{lead_id}@example.com"},
                    consent_text="You may contact me.",
                    privacy_url=None,
                    created_at=at,
                )
            )
        await uow.commit()
    exported = await container.export_visitor_conversations()(who, VISITOR)
    assert [type(item) for item in exported] == [ExportedConversation] * 2 + [ExportedLead] * 2
    [event] = [e for e in rows(container, "privacy_audit_log") if e.action == "visitor_data_exported"]
    assert (event.account_id, event.at, event.detail) == (who.account_id, at, {"sessions": 2})


async def test_an_export_holds_each_documents_extracted_text_and_usage_from_the_first_day_it_reads(
    container: Container, clock: ManualClock
) -> None:
    """Kills `BuildExport.__call__` 111 (the job's file count subtracts the originals) and
    `BuildExport._collect` 74, 75, 76 and 80 (a document's extracted text read for no
    account or no document, or dropped: no `documents/<id>/text.txt`) and 114–117, 124, 128–131
    (`usage.json` written as `null`, read for no account, with no or a naive bound, or from a
    later first day than 2000-01-01): the document is ingested by the worker, so its text exists,
    and usage is recorded at 2000-01-01 00:00 UTC (the first instant the export reads), today,
    and for another account."""
    who = principal(await signed_up(container, "ada@example.com"))
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    upload = DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain")
    document, _ = await container.add_document()(who, agent.id, upload)
    await run_jobs(container)  # the worker ingests it: the extracted text is stored
    today = clock.now()
    first_instant = datetime(2000, 1, 1, tzinfo=UTC)

    def used(account_id: str, at: datetime, prompt: int) -> UsageEntry:
        return UsageEntry(
            id=new_id("use"),
            account_id=account_id,
            agent_id=agent.id,
            model="chat-model-x",
            kind=UsageKind.CHAT,
            prompt_tokens=prompt,
            completion_tokens=1,
            occurred_at=at,
        )

    async with container.uow()(account_id=who.account_id) as uow:
        await uow.usage.add(used(who.account_id, first_instant, 10))
        await uow.usage.add(used(who.account_id, today, 20))
        await uow.usage.add(used(who.account_id, today, 30))
        await uow.commit()
    async with container.uow()(account_id="acc_someone_else") as uow:
        await uow.usage.add(used("acc_someone_else", today, 99))
        await uow.commit()
    export = await container.request_workspace_export()(who, who.workspace_id)  # documents and usage: the workspace's
    built = await container.build_export()(who.account_id, export.id)
    async with container.uow()(account_id=who.account_id) as uow:
        blob_key = (await uow.privacy.get_export(who.account_id, export.id)).blob_key
    archive = zipfile.ZipFile(io.BytesIO(await container.blob_store().get(blob_key)))
    assert archive.read(f"documents/{document.id}/text.txt") == b"Refunds take fourteen days."
    assert archive.read(f"documents/{document.id}/original") == b"Refunds take fourteen days."
    assert isinstance(built, ExportBuilt) and built.files == len(archive.namelist())  # the original counted once
    chat_usage = [u for u in json.loads(archive.read("usage.json")) if u["model"] == "chat-model-x"]
    assert chat_usage == [
        {
            "day": "2000-01-01",
            "agent_id": agent.id,
            "model": "chat-model-x",
            "calls": 1,
            "prompt_tokens": 10,
            "completion_tokens": 1,
        },
        {
            "day": today.date().isoformat(),
            "agent_id": agent.id,
            "model": "chat-model-x",
            "calls": 2,
            "prompt_tokens": 50,
            "completion_tokens": 2,
        },
    ]


def _invoice(record_id: str, account_id: str, customer_id: str, at: datetime) -> BillingRecord:
    return BillingRecord(
        id=record_id,
        kind=RecordKind.INVOICE,
        stripe_id=f"in_{record_id}",
        account_id=account_id,
        account_ref=account_ref(account_id),
        stripe_customer_id=customer_id,
        stripe_invoice_id=f"in_{record_id}",
        stripe_subscription_id=None,
        amount_minor=1900,
        currency="eur",
        status="paid",
        period_start=None,
        period_end=None,
        occurred_at=at,
        status_at=at,
        created_at=at,
    )


async def test_the_purge_of_a_person_who_handed_their_workspace_over_keeps_it_whole_but_their_exports(
    container: Container, clock: ManualClock
) -> None:
    """Erasure after a transfer of ownership (issue 21): Ada's workspace (her account's id) now
    belongs to Bob. The purge removes Ada's account, her membership and her own exports, and
    nothing of the workspace: its agent, conversation, uploaded file, billing state and records
    stay, and its Stripe customer is not deleted; the request does not cancel its subscription
    either (it did before the fix). Kills `PurgeDeletedAccount.__call__` 8 (the billing read
    although the person does not alone own the workspace: its Stripe customer deleted) and 36
    (the person's exports deleted under no prefix); no test of the selection had a transferred
    workspace."""
    gateway = RecordingGateway()
    container.payment_gateway.override(providers.Object(gateway))
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    workspace = ada.account.id
    who = principal(ada)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await _session(container, workspace, agent.id, clock.now())
    upload = DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain")
    document, _ = await container.add_document()(who, agent.id, upload)
    export = await container.request_export()(who)
    await container.build_export()(workspace, export.id)
    async with container.uow()(account_id=workspace) as uow:
        export_key = (await uow.privacy.get_export(workspace, export.id)).blob_key
        await uow.billing.save_account(
            BillingAccount(account_id=workspace, customer_id="cus_shop", subscription_id="sub_shop")
        )
        await uow.billing.save_record(_invoice("brec_shop", workspace, "cus_shop", clock.now()))
        for account_id, role in ((bob.account.id, Role.OWNER), (workspace, Role.ADMIN)):  # as a transfer leaves it
            await uow.workspaces.put_member(
                Membership(workspace_id=workspace, account_id=account_id, role=role, created_at=clock.now())
            )
        await uow.commit()
    await container.request_account_deletion()(who, PASSWORD)
    clock.advance(timedelta(days=7))
    assert await container.purge_deleted_accounts()() == 1
    assert [a.email for a in rows(container, "accounts")] == ["bob@example.com"]
    assert gateway.calls == []  # the workspace's Stripe customer is Bob's now
    async with container.uow()(account_id=workspace) as uow:
        assert [(m.account_id, m.role) for m in await uow.workspaces.members(workspace)] == [
            (bob.account.id, Role.OWNER)
        ]
        assert await uow.agents.get(workspace, agent.id) is not None
        assert [d.id for d in await uow.documents.list_all(workspace, agent.id)] == [document.id]
        assert (await uow.billing.get_account(workspace)).customer_id == "cus_shop"
        assert [(r.id, r.account_id) for r in await uow.billing.list_records(workspace, 10)] == [
            ("brec_shop", workspace)
        ]
    assert [s.account_id for s in rows(container, "chat_sessions")] == [workspace]
    assert await container.blob_store().get(document.blob_key) == b"Refunds take fourteen days."
    assert await container.blob_store().get(export_key) is None  # Ada's own export goes with her


async def test_an_exports_billing_and_consents_are_the_accounts_own(container: Container, clock: ManualClock) -> None:
    """Kills `BuildExport._collect` 146–152 (`billing.json` written as `null`, its keys renamed
    or re-cased, the subscription or the records read for no account), 159 and 162 (the privacy
    state or the rights log read for no account: `consents.json` without the objection, an
    empty `audit_log.json`) and 170–184 (`consents.json` as `null`, its keys renamed or
    re-cased, the policy acceptances filtered the wrong way round) and 187 (`audit_log.json` as
    `null`), which no test read:
    Ada's billing state and record and her objection are in her archive, Bob's record is not."""
    ada = principal(await signed_up(container, "ada@example.com"))
    bob = principal(await signed_up(container, "bob@example.com"))
    at = clock.now()
    for who, customer in ((ada, "cus_ada"), (bob, "cus_bob")):
        async with container.uow()(account_id=who.account_id) as uow:
            await uow.billing.save_account(
                BillingAccount(account_id=who.account_id, customer_id=customer, subscription_id=f"sub_{customer}")
            )
            await uow.billing.save_record(_invoice(f"brec_{customer}", who.account_id, customer, at))
            await uow.commit()
    await container.object_to_processing()(ada, objecting=True)
    export = await container.request_export()(ada)  # consents and the rights log: the person's
    await container.build_export()(ada.account_id, export.id)
    async with container.uow()(account_id=ada.account_id) as uow:
        blob_key = (await uow.privacy.get_export(ada.account_id, export.id)).blob_key
    archive = zipfile.ZipFile(io.BytesIO(await container.blob_store().get(blob_key)))
    workspace_export = await container.request_workspace_export()(ada, ada.workspace_id)  # billing: the workspace's
    await container.build_export()(ada.account_id, workspace_export.id)
    async with container.uow()(account_id=ada.account_id) as uow:
        workspace_key = (await uow.privacy.get_export(ada.account_id, workspace_export.id)).blob_key
    workspace_archive = zipfile.ZipFile(io.BytesIO(await container.blob_store().get(workspace_key)))
    billing = json.loads(workspace_archive.read("billing.json"))
    assert (billing["subscription"]["customer_id"], billing["subscription"]["subscription_id"]) == (
        "cus_ada",
        "sub_cus_ada",
    )
    assert [(r["id"], r["account_id"]) for r in billing["records"]] == [("brec_cus_ada", ada.account_id)]
    consents = json.loads(archive.read("consents.json"))
    assert set(consents) == {
        "adult_attested_at",
        "accepted_policy_version",
        "accepted_at",
        "policy_acceptances",
        "restricted_at",
        "objected_at",
    }
    assert (consents["restricted_at"], consents["accepted_policy_version"]) == (None, CURRENT_POLICY_VERSION)
    for key in ("objected_at", "adult_attested_at", "accepted_at"):  # the clock stood still since sign-up
        assert datetime.fromisoformat(consents[key]) == at, key
    assert consents["policy_acceptances"] == []  # none since sign-up: the objection is not one
    assert sorted(e["action"] for e in json.loads(archive.read("audit_log.json"))) == ["export_requested", "objected"]


async def test_an_exports_leads_and_webhook_endpoints_are_the_accounts_and_no_signing_secret_leaves(
    container: Container, clock: ManualClock
) -> None:
    """Kills `BuildExport._collect` 191, 192 (`leads.json` as `null` or read for no account) and
    200–205 (`webhook_endpoints.json` as `null` or read for no account, and **the signing secret
    kept in the archive**: 202 keeps only it, 203 and 204 filter a misspelt key), which no test
    read: Ada's lead and endpoint are in her archive without the secret; Bob's are not."""
    ada = principal(await signed_up(container, "ada@example.com"))
    bob = principal(await signed_up(container, "bob@example.com"))
    at = clock.now()
    for who, name in ((ada, "ada"), (bob, "bob")):
        agent = await container.create_agent()(who, AgentSettings(name="Helper"))
        async with container.uow()(account_id=who.account_id) as uow:
            await uow.leads.add_lead(
                Lead(
                    id=f"lead_{name}",
                    account_id=who.account_id,
                    agent_id=agent.id,
                    visitor_id=VISITOR,
                    values={"email": f"visitor_of_{name}@example.com"},
                    consent_text="You may contact me.",
                    privacy_url=None,
                    created_at=at,
                )
            )
            await uow.webhooks.add_endpoint(
                WebhookEndpoint(
                    id=f"whe_{name}",
                    account_id=who.account_id,
                    url=f"https://{name}.example.com/hook",
                    events=("lead.created",),
                    secret=f"whsec_secret_of_{name}",
                    created_at=at,
                    updated_at=at,
                )
            )
            await uow.commit()
    export = await container.request_workspace_export()(ada, ada.workspace_id)  # leads and endpoints: the workspace's
    await container.build_export()(ada.account_id, export.id)
    async with container.uow()(account_id=ada.account_id) as uow:
        blob_key = (await uow.privacy.get_export(ada.account_id, export.id)).blob_key
    raw = await container.blob_store().get(blob_key)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert [(lead["id"], lead["values"]) for lead in json.loads(archive.read("leads.json"))] == [
        ("lead_ada", {"email": "visitor_of_ada@example.com"})
    ]
    [endpoint] = json.loads(archive.read("webhook_endpoints.json"))
    assert (endpoint["id"], endpoint["url"], "secret" in endpoint) == ("whe_ada", "https://ada.example.com/hook", False)
    assert all(b"whsec_secret_of" not in archive.read(name) for name in archive.namelist())


async def test_purging_a_workspace_takes_its_files_and_exports_but_not_its_persons_own_exports(
    container: Container,
) -> None:
    """Kills `PurgeWorkspace.__call__` 16 (the workspace's export archives, kept in the asking
    owner's folder, left behind), 9 (a personal workspace's documents left: its folder is not
    deleted whole) and 12–14, 47 (a personal workspace's whole folder deleted, the person's own
    exports with it): Ada's second workspace goes with its document and its export archive;
    her personal workspace goes with its document, and her own export stays."""
    who = principal(await signed_up(container, "ada@example.com"))
    created = await container.create_workspace()(who, "Second shop")
    there = msgspec.structs.replace(who, workspace_id=created.id)
    upload = DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain")
    documents = {}
    for scope in (who, there):
        agent = await container.create_agent()(scope, AgentSettings(name="Helper"))
        documents[scope.workspace_id], _ = await container.add_document()(scope, agent.id, upload)
    own_export = await container.request_export()(who)
    await container.build_export()(who.account_id, own_export.id)
    workspace_export = await container.request_workspace_export()(who, created.id)
    await container.build_export()(who.account_id, workspace_export.id)
    keys = {e.id: e.blob_key for e in rows(container, "data_exports")}
    blobs = container.blob_store()
    assert await blobs.get(keys[workspace_export.id]) is not None

    await container.purge_workspace()(created.id)
    assert await blobs.get(documents[created.id].blob_key) is None
    assert await blobs.get(keys[workspace_export.id]) is None  # in Ada's folder, but the workspace's
    assert await blobs.get(keys[own_export.id]) is not None

    await container.purge_workspace()(who.workspace_id)  # her personal workspace (its id is hers)
    assert await blobs.get(documents[who.workspace_id].blob_key) is None
    assert await blobs.get(keys[own_export.id]) is not None  # her own export stays with her


async def test_lifting_a_restriction_queues_nothing_in_a_workspace_the_person_handed_over(
    container: Container, clock: ManualClock
) -> None:
    """Kills `RestrictProcessing.__call__` 55 (`own is not None or own.role is OWNER`: the
    waiting documents of the workspace with the person's id queued again although they no
    longer own it): Ada handed her workspace to Bob and stays an admin; her restriction and its
    lifting leave its document's single ingestion job alone."""
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    workspace = ada.account.id
    who = principal(ada)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    upload = DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain")
    document, _ = await container.add_document()(who, agent.id, upload)
    async with container.uow()(account_id=workspace) as uow:
        for account_id, role in ((bob.account.id, Role.OWNER), (workspace, Role.ADMIN)):  # as a transfer leaves it
            await uow.workspaces.put_member(
                Membership(workspace_id=workspace, account_id=account_id, role=role, created_at=clock.now())
            )
        await uow.commit()
    await container.restrict_processing()(who, restrict=True)
    await container.restrict_processing()(who, restrict=False)
    jobs = [j for j in container.job_store()._jobs.values() if j.payload.get("document_id") == document.id]
    assert [j.dedupe_key for j in jobs] == [f"documents.ingest:{document.id}:{document.version}:1"]


async def test_a_workspace_export_is_not_confused_with_the_persons_or_an_earlier_one(container: Container) -> None:
    """Kills `RequestWorkspaceExport.__call__` 27 (`QUEUED or same workspace`: the person's own
    queued export, or the workspace's finished one, returned instead of a new workspace export)
    and 53 (the build job queued without its payload: the worker cannot build it): with Ada's
    own export queued, asking for her workspace's export queues a second one; the worker builds
    both; asking again queues a third."""
    who = principal(await signed_up(container, "ada@example.com"))
    own = await container.request_export()(who)
    first = await container.request_workspace_export()(who, who.workspace_id)
    assert (first.id != own.id, first.workspace_id) == (True, who.workspace_id)
    await run_jobs(container)  # the worker builds both from their jobs' payloads
    assert {e.id: e.status for e in rows(container, "data_exports")} == {
        own.id: ExportStatus.READY,
        first.id: ExportStatus.READY,
    }
    again = await container.request_workspace_export()(who, who.workspace_id)
    assert (again.id not in (own.id, first.id), again.workspace_id) == (True, who.workspace_id)


async def test_a_workspace_export_fails_and_writes_nothing_once_the_person_no_longer_owns_the_workspace(
    container: Container, clock: ManualClock
) -> None:
    """The rule "a workspace export is built only while the person still owns it": Ada asks for
    two workspace exports, then is made an admin of the first workspace (Bob owns it now) and
    removed from the second. The worker builds neither: each export is ``failed`` with the
    reason, has no archive, no file is written under Ada's folder and no ``export_ready`` mail
    goes. Kills the mutants of `BuildExport._owned_workspace` and
    `_fail`, which no test of the selection reached (mutmut: "no tests")."""
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    who = principal(ada)
    second = await container.create_workspace()(who, "Second shop")
    handed = await container.request_workspace_export()(who, who.workspace_id)
    left = await container.request_workspace_export()(who, second.id)
    async with container.uow()(account_id=None) as uow:
        for account_id, role in ((bob.account.id, Role.OWNER), (who.account_id, Role.ADMIN)):
            await uow.workspaces.put_member(
                Membership(workspace_id=who.workspace_id, account_id=account_id, role=role, created_at=clock.now())
            )
        await uow.workspaces.put_member(
            Membership(workspace_id=second.id, account_id=bob.account.id, role=Role.OWNER, created_at=clock.now())
        )
        assert await uow.workspaces.remove_member(second.id, who.account_id)
        await uow.commit()
    mails_before = len(outbox(container))
    for export in (handed, left):
        assert await container.build_export()(who.account_id, export.id) == ExportSkipped()
    reason = "The workspace is gone, or you no longer own it."
    assert {e.id: (e.status, e.error, e.blob_key, e.size_bytes) for e in rows(container, "data_exports")} == {
        handed.id: (ExportStatus.FAILED, reason, None, None),
        left.id: (ExportStatus.FAILED, reason, None, None),
    }
    assert [key for key in container.blob_store().blobs if "/exports/" in key] == []
    assert [m.kind for m in outbox(container)[mails_before:]] == []
    assert "export_ready" not in actions(container, who.account_id)


def _utc(at: datetime) -> str:
    """A UTC time as the archive's JSON writes it (RFC 3339, ``Z``)."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_a_workspace_export_names_the_workspace_and_its_members_and_the_persons_export_their_memberships(
    container: Container, clock: ManualClock
) -> None:
    """`workspace.json` and `memberships.json` whole, with their dates: Ada's workspace created
    at sign-up, renamed a day later, Bob made an editor the day after. Kills `_workspace_files`
    9, 10, 13–16, 23, 24 and `_memberships` 15, 16 (the keys `id`, `created_at`, `updated_at`,
    a member's or a membership's `since` renamed or re-cased), and 144, 145 (the workspace's
    `audit_log.json` as `null` or read for no workspace): no test read these."""
    signed_up_at = clock.now()
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    who = principal(ada)
    clock.advance(timedelta(days=1))
    renamed_at = clock.now()
    await container.rename_workspace()(who, "Ada's shop")
    clock.advance(timedelta(days=1))
    joined_at = clock.now()
    async with container.uow()(account_id=None) as uow:
        await uow.workspaces.put_member(
            Membership(workspace_id=who.workspace_id, account_id=bob.account.id, role=Role.EDITOR, created_at=joined_at)
        )
        for event_id, workspace_id, actor in (
            ("wev_ada", who.workspace_id, who.account_id),
            ("wev_bob", bob.account.id, bob.account.id),
        ):
            await uow.workspaces.add_audit_event(
                AuditEvent(
                    id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor,
                    action="member_added",
                    subject=bob.account.id,
                    detail={"role": "editor"},
                    at=joined_at,
                )
            )
        await uow.commit()
    workspace_export = await container.request_workspace_export()(who, who.workspace_id)
    await container.build_export()(who.account_id, workspace_export.id)
    archive = await _archive(container, who, workspace_export.id)
    events = json.loads(archive.read("audit_log.json"))  # the workspace's own events, not Bob's workspace's
    assert sorted((e["action"], e["workspace_id"], e["at"]) for e in events) == [
        ("member_added", who.workspace_id, _utc(joined_at)),
        ("workspace.exported", who.workspace_id, _utc(joined_at)),
        ("workspace.renamed", who.workspace_id, _utc(renamed_at)),
    ]
    assert [e for e in events if e["action"] == "member_added"] == [
        {
            "id": "wev_ada",
            "workspace_id": who.workspace_id,
            "actor_id": who.account_id,
            "action": "member_added",
            "subject": bob.account.id,
            "detail": {"role": "editor"},
            "at": _utc(joined_at),
        }
    ]
    workspace = json.loads(archive.read("workspace.json"))
    workspace["members"].sort(key=lambda m: m["role"] != "owner")
    assert workspace == {
        "id": who.workspace_id,
        "name": "Ada's shop",
        "created_at": _utc(signed_up_at),
        "updated_at": _utc(renamed_at),
        "members": [
            {"account_id": who.account_id, "role": "owner", "since": _utc(signed_up_at)},
            {"account_id": bob.account.id, "role": "editor", "since": _utc(joined_at)},
        ],
    }
    bobs = principal(bob)
    export = await container.request_export()(bobs)
    await container.build_export()(bobs.account_id, export.id)
    memberships = json.loads((await _archive(container, bobs, export.id)).read("memberships.json"))
    assert sorted(memberships, key=lambda m: m["role"] != "owner") == [
        {
            "workspace_id": bobs.workspace_id,
            "workspace_name": "My workspace",
            "role": "owner",
            "since": _utc(signed_up_at),
        },
        {"workspace_id": who.workspace_id, "workspace_name": "Ada's shop", "role": "editor", "since": _utc(joined_at)},
    ]


class _ScopeRecorder:
    """A unit-of-work factory that records the scope (``account_id``) of every unit it opens."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.scopes: list[str | None] = []

    def __call__(self, *, account_id: str | None, **options: Any) -> Any:
        self.scopes.append(account_id)
        return self._inner(account_id=account_id, **options)


async def test_an_export_is_built_in_the_persons_and_the_workspaces_scopes_not_the_systems(
    container: Container, clock: ManualClock
) -> None:
    """Least privilege (row-level security on Postgres): the person's export reads in the
    person's scope and only the memberships across workspaces in the system scope; a workspace
    export reads the workspace in its own scope after the ownership check; a failed one is
    marked in the person's scope. Kills `BuildExport.__call__` 2, 43, 93 and `_fail` 1 (a
    unit opened in the system scope instead), which pass on the memory store; and 120, 124,
    125 (the ready mail of a workspace export says "your data", or a changed text)."""
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    who = principal(ada)
    second = await container.create_workspace()(who, "Second shop")
    own = await container.request_export()(who)
    shop = await container.request_workspace_export()(who, second.id)
    handed = await container.request_workspace_export()(who, who.workspace_id)
    async with container.uow()(account_id=None) as uow:
        for account_id, role in ((bob.account.id, Role.OWNER), (who.account_id, Role.ADMIN)):
            await uow.workspaces.put_member(
                Membership(workspace_id=who.workspace_id, account_id=account_id, role=role, created_at=clock.now())
            )
        await uow.commit()
    ada_id = who.account_id
    for export, scopes in (
        (own, [ada_id, None, ada_id]),  # read, memberships, mark ready
        (shop, [ada_id, None, second.id, ada_id]),  # read, ownership check, the workspace's data, mark ready
        (handed, [ada_id, None, ada_id]),  # read, ownership check (no longer), mark failed
    ):
        recorder = _ScopeRecorder(container.uow())
        await container.build_export(uow=recorder)(ada_id, export.id)
        assert recorder.scopes == scopes
    ready_mails = [m.text.split("\n\n")[1].split(".")[0] for m in outbox(container) if m.kind == "export_ready"]
    assert ready_mails == ["The archive of your data is ready", "The archive of the workspace's data is ready"]
    assert {e.id: e.status for e in rows(container, "data_exports")} == {
        own.id: ExportStatus.READY,
        shop.id: ExportStatus.READY,
        handed.id: ExportStatus.FAILED,
    }


async def test_the_purge_empties_the_persons_folder_strays_included_when_they_alone_owned_their_workspace(
    container: Container, clock: ManualClock
) -> None:
    """Ada alone owns her personal workspace, so the purge deletes her whole folder, not only
    her exports: a file no agent or export names any more (left by an agent deleted earlier,
    or written while the purge ran) goes too, and Bob's folder stays. Kills
    `PurgeDeletedAccount.__call__` 10 (only `<id>/exports/` deleted although she alone owned
    it): `PurgeWorkspace` takes a personal workspace's files agent by agent, never the folder."""
    ada = await signed_up(container, "ada@example.com")
    bob = await signed_up(container, "bob@example.com")
    who = principal(ada)
    blobs = container.blob_store()
    stray, bobs = f"{who.account_id}/agt_deleted/doc_gone/v1-0123456789abcdef", f"{bob.account.id}/agt_x/doc_y/v1-0"
    for key in (stray, bobs):
        await blobs.put(key, b"a page of text")
    export = await container.request_export()(who)
    await container.build_export()(who.account_id, export.id)
    await container.request_account_deletion()(who, PASSWORD)
    clock.advance(timedelta(days=7))
    assert await container.purge_deleted_accounts()() == 1
    assert sorted(blobs.blobs) == [bobs]


async def test_asking_again_for_an_export_being_built_logs_nothing_more(container: Container) -> None:
    """An export already queued is returned as it is: the rights log holds one request per
    export and the workspace's audit log one `workspace.exported`, however often the person
    asks. Kills `queue_export` 9 (the queued export reported as new: each ask logged again)."""
    who = principal(await signed_up(container, "ada@example.com"))
    for _ in range(3):
        own = await container.request_export()(who)
        shop = await container.request_workspace_export()(who, who.workspace_id)
    assert sorted(a for a in actions(container, who.account_id) if a.endswith("export_requested")) == [
        "export_requested",
        "workspace_export_requested",
    ]
    async with container.uow()(account_id=who.workspace_id) as uow:
        events = await uow.workspaces.audit_events(who.workspace_id, 100)
    assert [(e.action, e.subject) for e in events if e.action == "workspace.exported"] == [
        ("workspace.exported", shop.id)
    ]
    assert sorted(e.id for e in rows(container, "data_exports")) == sorted([own.id, shop.id])
