"""The owner's rights and the retention sweeps on the memory container, with a manual clock."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.errors import Conflict, InvalidInput
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import ReauthenticationRequired, chat_cutoff, months_before
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.usecases.manage_account import ProfileChanges
from tests.integration.accounts_support import PASSWORD, last_mail_to, link_token
from tests.unit.test_account_usecases import (  # noqa: F401 - fixtures
    CLIENT,
    authenticates,
    clock,
    container,
    outbox,
    principal,
    rows,
    signed_up,
)

VISITOR = "visitor_0123456789abcdef"


async def _session(container: Container, account_id: str, agent_id: str, at: datetime,
                   visitor: str = VISITOR) -> str:
    session = ChatSession(id=new_id("ses"), account_id=account_id, agent_id=agent_id, visitor_id=visitor,
                          created_at=at, ip="198.51.100.7")
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


async def test_rectification_is_audited(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    await container.update_profile()(principal(owner), ProfileChanges(full_name="Ada King", email="ada@new.example",
                                                                         current_password=PASSWORD))
    token = link_token(last_mail_to(outbox(container), "ada@new.example", "email_change"))
    await container.verify_email()(token, CLIENT)
    assert actions(container, owner.account.id) == ["profile_updated", "email_change_requested", "email_changed"] or \
        sorted(actions(container, owner.account.id)) == ["email_change_requested", "email_changed", "profile_updated"]
    listed = await container.list_audit_log()(principal(owner))
    assert {e.action for e in listed} == {"profile_updated", "email_change_requested", "email_changed"}


async def test_restriction_stops_processing_and_lifting_restores_it(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    await container.request_log().add_many([RequestLogEntry(
        occurred_at=container.clock().now(), method="GET", route="/api/v1/agents", status=200, latency_ms=1.0,
        account_id=who.account_id, ip="203.0.113.9")])
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
    await container.object_to_processing()(who, objecting=True)
    await container.request_log().add_many([RequestLogEntry(
        occurred_at=container.clock().now(), method="GET", route="/x", status=200, latency_ms=1.0,
        account_id=who.account_id, ip="203.0.113.9")])
    summary = await container.retention_sweeps()()
    assert summary["analytics_opt_out"] == 1
    assert all(e.account_id is None and e.ip is None for e in container.request_log().entries)
    state = await container.object_to_processing()(who, objecting=False)
    assert state.objected_at is None


async def test_an_export_holds_every_category_with_a_manifest(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await _session(container, who.account_id, agent.id, container.clock().now())
    export = await container.request_export()(who)
    assert await container.request_export()(who) == export  # one at a time
    result = await container.build_export()(who.account_id, export.id)
    assert result["bytes"] > 0
    link = await container.issue_export_link()(who, export.id)
    token = link.url.split("token=")[1]
    name, handle = await container.download_export()(token)
    with handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    manifest = json.loads(archive.read("manifest.json"))
    names = {f["name"] for f in manifest["files"]}
    assert {"account.json", "sessions.json", "api_keys.json", "agents.json", "documents.json", "conversations.json",
            "usage.json", "request_log.json", "billing.json", "consents.json", "audit_log.json"} <= names
    account = json.loads(archive.read("account.json"))
    assert account["email"] == "ada@example.com" and "password_hash" not in account
    assert json.loads(archive.read("conversations.json"))[0]["visitor_id"] == VISITOR
    assert last_mail_to(outbox(container), "ada@example.com", "export_ready")
    token = (await container.issue_export_link()(who, export.id)).url.split("token=")[1]  # a link works once
    container.clock().advance(timedelta(minutes=31))
    with pytest.raises(InvalidInput):
        await container.download_export()(token)
    assert "export_downloaded" in actions(container, who.account_id)


async def test_erasure_needs_the_password_revokes_at_once_and_can_be_cancelled(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    key = await container.create_api_key()(who, "ci", ["agents:read"])
    with pytest.raises(ReauthenticationRequired):
        await container.request_account_deletion()(who, "wrong password!")
    scheduled = await container.request_account_deletion()(who, PASSWORD)
    assert scheduled.purge_after == container.clock().now() + timedelta(days=7)
    assert not await authenticates(container, owner.token)
    assert rows(container, "api_keys")[0].revoked_at is not None and key.key.id
    assert rows(container, "accounts")[0].status is AccountStatus.DELETION_PENDING
    token = link_token(last_mail_to(outbox(container), "ada@example.com", "deletion_scheduled"))
    await container.cancel_account_deletion()(token)
    assert rows(container, "accounts")[0].status is AccountStatus.ACTIVE
    with pytest.raises(InvalidInput):
        await container.cancel_account_deletion()(token)  # used
    await container.purge_deleted_accounts()()
    assert len(rows(container, "accounts")) == 1


async def test_the_purge_waits_for_the_grace_period_then_removes_everything(container: Container,
                                                                           clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    other = await signed_up(container, "bob@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await _session(container, who.account_id, agent.id, clock.now())
    await container.request_account_deletion()(who, PASSWORD)
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert await container.purge_deleted_accounts()() == 0
    clock.advance(timedelta(seconds=1))
    assert await container.purge_deleted_accounts()() == 1
    for name, table in container.memory_database().tables.items():
        for row in table.values():
            encoded = msgspec.json.encode(row)
            assert who.account_id.encode() not in encoded and b"ada@example.com" not in encoded, (name, row)
    assert [a.id for a in rows(container, "accounts")] == [other.account.id]
    assert [r.kind for r in rows(container, "retention_runs")] == ["deleted_accounts", "deleted_accounts"]


async def test_a_google_only_account_reauthenticates_with_a_fresh_session(container: Container,
                                                                         clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    async with container.uow()(account_id=owner.account.id) as uow:
        account = await uow.accounts.get(owner.account.id)
        await uow.accounts.update(msgspec.structs.replace(account, password_hash=None, google_subject="g-123"))
        await uow.commit()
    clock.advance(timedelta(minutes=11))
    with pytest.raises(ReauthenticationRequired):
        await container.request_account_deletion()(principal(owner), None)
    clock.advance(timedelta(minutes=-0)) if False else None
    fresh = principal(owner)
    async with container.uow()(account_id=owner.account.id) as uow:  # a new sign-in, now
        from aioomi.domain.usecases.auth_support import open_session
        acct = await uow.accounts.get(owner.account.id)
        signed = await open_session(uow, acct, clock.now(), container.session_policy(), CLIENT)
        await uow.commit()
    fresh = msgspec.structs.replace(fresh, session_id=signed.session.id)
    await container.request_account_deletion()(fresh, None)
    assert rows(container, "accounts")[0].status is AccountStatus.DELETION_PENDING


async def test_visitor_conversations_are_found_exported_and_deleted(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await _session(container, who.account_id, agent.id, container.clock().now())
    await _session(container, who.account_id, agent.id, container.clock().now(), visitor="someone_else_0000000")
    assert len(await container.visitor_conversations().find(who, VISITOR)) == 1
    assert len(await container.visitor_conversations().export(who, VISITOR)) == 1
    assert await container.visitor_conversations().delete(who, VISITOR) == 1
    assert [s.visitor_id for s in rows(container, "chat_sessions")] == ["someone_else_0000000"]


async def test_chats_go_after_12_months_or_the_agents_shorter_setting(container: Container,
                                                                      clock: ManualClock) -> None:
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
    assert {"chats", "request_log", "owner_sessions", "exports", "knowledge_orphans", "finished_jobs",
            "billing_records"} <= kinds


async def test_a_policy_change_is_announced_30_days_ahead_to_every_account(container: Container,
                                                                           clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    await signed_up(container, "bob@example.com")
    today = clock.now().date()
    with pytest.raises(InvalidInput):
        await container.publish_policy_version()(today + timedelta(days=29))
    version = await container.publish_policy_version()(today + timedelta(days=30), "Clearer retention.")
    with pytest.raises(Conflict):
        await container.publish_policy_version()(today + timedelta(days=30))
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
