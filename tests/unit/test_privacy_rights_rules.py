"""The owner's rights, rule by rule, on the memory container with a manual clock.

Written to kill the mutants of ``domain/usecases/privacy_rights.py`` (since split into ``domain/usecases/privacy/``) (docs/privacy.md,
"Mutation testing"). Each test names the promise it holds; dates, counts and messages are
written here, never computed with the module's helpers.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import msgspec
import pytest
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container
from aioomi.domain.model.accounts import AccountStatus, InvalidToken
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.billing import BillingAccount
from aioomi.domain.model.chat import ChatMessage, ChatSession, Role
from aioomi.domain.model.documents import DocumentUpload
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import (
    AuditEvent,
    DataExport,
    ExportNotReady,
    ExportStatus,
    PrivacyState,
    ReauthenticationRequired,
)
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.usecases.privacy.build_export import ExportSkipped
from tests.integration.accounts_support import PASSWORD, last_mail_to, link_token
from tests.unit.test_account_usecases import (  # noqa: F401 - fixtures
    CLIENT,
    clock,
    container,
    outbox,
    principal,
    request,
    rows,
    signed_up,
)
from tests.unit.test_privacy_usecases import RecordingGateway


def audit(container: Container, account_id: str) -> list[tuple[str, object, dict]]:
    """The account's audit log, oldest first: (action, at, detail)."""
    events = sorted((e for e in rows(container, "privacy_audit_log") if e.account_id == account_id), key=lambda e: e.at)
    return [(e.action, e.at, e.detail) for e in events]


def account_row(container: Container, account_id: str):
    [account] = [a for a in rows(container, "accounts") if a.id == account_id]
    return account


def named_entry(container: Container, account_id: str) -> RequestLogEntry:
    return RequestLogEntry(
        occurred_at=container.clock().now(),
        method="GET",
        route="/x",
        status=200,
        latency_ms=1.0,
        account_id=account_id,
        ip="203.0.113.9",
    )


def logged(container: Container) -> list[tuple[str | None, str | None]]:
    return [(e.account_id, e.ip) for e in container.request_log().entries]


async def test_the_privacy_overview_shows_nothing_chosen_for_a_new_owner(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    overview = await container.get_privacy_overview()(principal(owner))
    assert overview.account.email == "ada@example.com"
    assert overview.state == PrivacyState(account_id=owner.account.id)  # nothing chosen yet


async def test_restriction_is_dated_idempotent_audited_and_lifted(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who, restrict = principal(owner), container.restrict_processing()
    clock.advance(timedelta(minutes=1))  # after the sign-up's own updates
    restricted_at = clock.now()
    state = await restrict(who, restrict=True)
    assert state.restricted_at == restricted_at
    assert (account_row(container, who.account_id).status, account_row(container, who.account_id).updated_at) == (
        AccountStatus.RESTRICTED,
        restricted_at,
    )
    clock.advance(timedelta(hours=1))
    assert (await restrict(who, restrict=True)).restricted_at == restricted_at  # already restricted: unchanged
    assert (await container.get_privacy_overview()(who)).state.restricted_at == restricted_at
    clock.advance(timedelta(hours=1))
    lifted_at = clock.now()
    state = await restrict(who, restrict=False)
    assert state.restricted_at is None
    assert (account_row(container, who.account_id).status, account_row(container, who.account_id).updated_at) == (
        AccountStatus.ACTIVE,
        lifted_at,
    )
    assert (await container.get_privacy_overview()(who)).state.restricted_at is None
    await container.request_log().add_many([named_entry(container, who.account_id)])
    clock.advance(timedelta(hours=1))
    await restrict(who, restrict=False)  # not restricted: nothing happens, the log stays named
    assert logged(container) == [(who.account_id, "203.0.113.9")]
    assert account_row(container, who.account_id).updated_at == lifted_at
    assert audit(container, who.account_id)[-2:] == [
        ("processing_restricted", restricted_at, {}),
        ("restriction_lifted", lifted_at, {}),
    ]
    assert await container.processing_allowed()(who.account_id)


async def test_objection_is_dated_idempotent_audited_and_withdrawn(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who, objection = principal(owner), container.object_to_processing()
    objected_at = clock.now()
    assert (await objection(who, objecting=True)).objected_at == objected_at
    clock.advance(timedelta(hours=1))
    assert (await objection(who, objecting=True)).objected_at == objected_at  # already objecting
    assert (await container.get_privacy_overview()(who)).state.objected_at == objected_at
    assert account_row(container, who.account_id).status is AccountStatus.ACTIVE  # processing goes on
    clock.advance(timedelta(hours=1))
    withdrawn_at = clock.now()
    assert (await objection(who, objecting=False)).objected_at is None
    assert (await container.get_privacy_overview()(who)).state.objected_at is None
    await container.request_log().add_many([named_entry(container, who.account_id)])
    await objection(who, objecting=False)  # withdrawn already: the new row stays named
    assert logged(container) == [(who.account_id, "203.0.113.9")]
    assert audit(container, who.account_id)[-2:] == [
        ("objected", objected_at, {"scope": "usage_analytics"}),
        ("objection_withdrawn", withdrawn_at, {"scope": "usage_analytics"}),
    ]


async def test_an_unknown_account_is_refused_by_every_right(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    ghost = msgspec.structs.replace(principal(owner), account_id="acct_ghost")
    for call in (
        lambda: container.get_privacy_overview()(ghost),
        lambda: container.restrict_processing()(ghost, restrict=True),
        lambda: container.object_to_processing()(ghost, objecting=True),
        lambda: container.request_export()(ghost),
    ):
        with pytest.raises(NotFound) as refused:
            await call()
        assert (refused.value.code, refused.value.detail) == ("account_not_found", "No such account.")


async def test_processing_is_allowed_only_while_the_workspace_serves(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    allowed = container.processing_allowed()
    assert await allowed(owner.account.id)
    # No owner at all (workspace_status: closing), as the widget has always answered it: nothing
    # is processed (this used to be allowed, the opposite of the widget's default).
    assert not await allowed("acct_unknown")
    await container.request_account_deletion()(principal(owner), PASSWORD)
    assert not await allowed(owner.account.id)  # being erased


async def test_an_export_request_queues_one_build_job_and_expires_in_7_days(
    container: Container, clock: ManualClock
) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    asked_at = clock.now()
    export = await container.request_export()(who)
    assert (export.account_id, export.status, export.created_at, export.expires_at) == (
        who.account_id,
        ExportStatus.QUEUED,
        asked_at,
        asked_at + timedelta(days=7),
    )
    jobs = [j for j in container.job_store()._jobs.values() if j.kind == "privacy.build_export"]
    assert [(j.payload, j.dedupe_key) for j in jobs] == [
        ({"account_id": who.account_id, "export_id": export.id}, f"privacy.build_export:{export.id}")
    ]
    assert audit(container, who.account_id)[-1] == ("export_requested", asked_at, {"export_id": export.id})
    assert await container.list_exports()(who) == [export]
    clock.advance(timedelta(minutes=1))
    built_at = clock.now()
    result = await container.build_export()(who.account_id, export.id)
    [ready] = rows(container, "data_exports")
    assert (ready.status, ready.ready_at, ready.blob_key, ready.size_bytes) == (
        ExportStatus.READY,
        built_at,
        f"{who.account_id}/exports/{export.id}.zip",
        result.bytes,
    )
    assert result.export_id == export.id
    assert audit(container, who.account_id)[-1] == (
        "export_ready",
        built_at,
        {"export_id": export.id, "bytes": result.bytes},
    )
    assert await container.build_export()(who.account_id, export.id) == ExportSkipped()  # ready: not rebuilt
    assert await container.build_export()(who.account_id, "exp_unknown") == ExportSkipped()
    mail = last_mail_to(outbox(container), "ada@example.com", "export_ready")
    assert mail.subject == "Your Aioomi data export is ready"
    expires = (asked_at + timedelta(days=7)).strftime("%Y-%m-%d")
    assert mail.text == (
        f"Hello {owner.account.full_name},\n\nThe archive of your data is ready. Sign in and "
        "download it from https://aioomi.test/dashboard/account (the download link works 30 "
        f"minutes once made; the archive is kept until {expires}).\n"
    )
    second = await container.request_export()(who)  # the first is ready: a new one is queued
    assert second.id != export.id and second.status is ExportStatus.QUEUED


async def test_an_export_link_works_once_for_30_minutes(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    export = await container.request_export()(who)
    with pytest.raises(ExportNotReady) as refused:
        await container.issue_export_link()(who, export.id)
    assert refused.value.detail == "The export is queued."
    with pytest.raises(NotFound) as unknown:
        await container.issue_export_link()(who, "exp_unknown")
    assert (unknown.value.code, unknown.value.detail) == ("export_not_found", "No such export.")
    await container.build_export()(who.account_id, export.id)
    issued_at = clock.now()
    link = await container.issue_export_link()(who, export.id)
    assert link.expires_at == issued_at + timedelta(minutes=30)
    prefix = "https://aioomi.test/api/v1/account/exports/download?token="
    assert link.url.startswith(prefix) and len(link.url) == len(prefix) + 43  # 32 random bytes
    clock.advance(timedelta(minutes=30))  # exactly 30 minutes: expired
    with pytest.raises(InvalidToken) as expired:
        await container.download_export()(link.url.removeprefix(prefix))
    assert (expired.value.code, expired.value.field, expired.value.detail) == (
        "invalid_token",
        "token",
        "This download link is invalid or has expired. Make a new one.",
    )
    link = await container.issue_export_link()(who, export.id)
    clock.advance(timedelta(minutes=30) - timedelta(seconds=1))
    downloaded_at = clock.now()
    name, handle = await container.download_export()(link.url.removeprefix(prefix))
    with handle:
        assert handle.read(2) == b"PK"  # a zip
    assert name == f"aioomi-export-{export.id}.zip"
    assert [(e.link_hash, e.link_expires_at) for e in rows(container, "data_exports")] == [(None, None)]  # used up
    assert audit(container, who.account_id)[-1] == ("export_downloaded", downloaded_at, {"export_id": export.id})
    with pytest.raises(NotFound) as used:
        await container.download_export()(link.url.removeprefix(prefix))
    assert (used.value.code, used.value.detail) == (
        "export_link_not_found",
        "This download link was already used or replaced by a newer one. Make a new one.",
    )
    [ready] = rows(container, "data_exports")
    link = await container.issue_export_link()(who, export.id)
    archive = await container.blob_store().get(ready.blob_key)
    await container.blob_store().delete(ready.blob_key)  # the file gone (the sweep took it first)
    with pytest.raises(NotFound) as gone:
        await container.download_export()(link.url.removeprefix(prefix))
    assert (gone.value.code, gone.value.detail) == ("export_not_found", "The archive is gone; request a new export.")
    await container.blob_store().put(ready.blob_key, archive)
    # The archive itself is kept 7 days after the request: a link made before then stops at that moment.
    clock.advance(ready.expires_at - timedelta(minutes=10) - clock.now())
    link = await container.issue_export_link()(who, export.id)
    clock.advance(timedelta(minutes=10))  # the link has 20 minutes left, the archive none
    with pytest.raises(InvalidToken):
        await container.download_export()(link.url.removeprefix(prefix))


async def test_erasure_keeps_the_previous_status_dates_the_purge_and_mails_the_cancel_link(
    container: Container, clock: ManualClock
) -> None:
    gateway = RecordingGateway()
    container.payment_gateway.override(providers.Object(gateway))
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    async with container.uow()(account_id=who.account_id) as uow:  # a customer without a subscription
        await uow.billing.save_account(BillingAccount(account_id=who.account_id, customer_id="cus_ada"))
        await uow.commit()
    await container.restrict_processing()(who, restrict=True)
    with pytest.raises(ReauthenticationRequired) as refused:
        await container.request_account_deletion()(who, None)
    assert refused.value.detail == "Enter your current password to delete the account."
    with pytest.raises(ReauthenticationRequired):
        await container.request_account_deletion()(who, "")
    clock.advance(timedelta(minutes=1))  # after the restriction's own update
    asked_at = clock.now()
    scheduled = await container.request_account_deletion()(who, PASSWORD)
    purge_after = asked_at + timedelta(days=7)
    assert scheduled.purge_after == purge_after
    assert gateway.calls == []  # no subscription: nothing to cancel
    state = (await container.get_privacy_overview()(who)).state  # the owner's own view, still readable
    assert (state.deletion_requested_at, state.purge_after, state.status_before_deletion) == (
        asked_at,
        purge_after,
        "restricted",
    )
    assert state.cancel_token_hash is not None
    assert account_row(container, who.account_id).updated_at == asked_at
    assert [s.revoked_at for s in rows(container, "owner_sessions") if s.account_id == who.account_id] == [asked_at]
    assert audit(container, who.account_id)[-1] == (
        "deletion_requested",
        asked_at,
        {"purge_after": purge_after.isoformat()},
    )
    mail = last_mail_to(outbox(container), "ada@example.com", "deletion_scheduled")
    token = link_token(mail)
    assert len(token) == 43  # 32 random bytes, URL-safe base64 without padding
    assert mail.subject == "Your Aioomi account will be deleted"
    assert mail.text == (
        f"Hello {owner.account.full_name},\n\nYour account and its data will be deleted on "
        f"{purge_after:%Y-%m-%d %H:%M} UTC. Changed your mind? Cancel before then:\n\n"
        f"https://aioomi.test/cancel-deletion?token={token}\n"
    )
    clock.advance(timedelta(days=7) - timedelta(seconds=1))  # one second before the purge: still cancellable
    cancelled_at = clock.now()
    assert await container.cancel_account_deletion()(token) is AccountStatus.RESTRICTED  # as before
    assert (account_row(container, who.account_id).status, account_row(container, who.account_id).updated_at) == (
        AccountStatus.RESTRICTED,
        cancelled_at,
    )
    assert audit(container, who.account_id)[-1] == ("deletion_cancelled", cancelled_at, {})
    state = (await container.get_privacy_overview()(who)).state
    assert (state.deletion_requested_at, state.purge_after, state.cancel_token_hash, state.status_before_deletion) == (
        None,
        None,
        None,
        None,
    )
    assert state.restricted_at is not None  # the restriction itself stays


async def test_a_deletion_cannot_be_cancelled_once_its_purge_time_has_come(
    container: Container, clock: ManualClock
) -> None:
    gateway = RecordingGateway()
    container.payment_gateway.override(providers.Object(gateway))
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    async with container.uow()(account_id=who.account_id) as uow:
        await uow.billing.save_account(
            BillingAccount(account_id=who.account_id, customer_id="cus_ada", subscription_id="sub_ada")
        )
        await uow.commit()
    gateway.down = True  # Stripe down at request time: the erasure goes on
    await container.request_account_deletion()(who, PASSWORD)
    assert gateway.calls == [("cancel_subscription", "sub_ada")]
    assert (await container.get_privacy_overview()(who)).state.status_before_deletion == "active"
    token = link_token(last_mail_to(outbox(container), "ada@example.com", "deletion_scheduled"))
    clock.advance(timedelta(days=7))  # exactly at purge time
    with pytest.raises(InvalidToken) as refused:
        await container.cancel_account_deletion()(token)
    assert (refused.value.code, refused.value.field, refused.value.detail) == (
        "invalid_token",
        "token",
        "This link is invalid or the deletion can no longer be cancelled.",
    )
    assert account_row(container, who.account_id).status is AccountStatus.DELETION_PENDING
    with pytest.raises(InvalidToken):
        await container.cancel_account_deletion()("not-a-token")


async def test_a_google_only_account_without_a_session_must_sign_in_again(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    async with container.uow()(account_id=owner.account.id) as uow:
        account = await uow.accounts.get(owner.account.id)
        await uow.accounts.update(msgspec.structs.replace(account, password_hash=None, google_subject="g-123"))
        await uow.commit()
    with pytest.raises(ReauthenticationRequired) as refused:
        await container.request_account_deletion()(msgspec.structs.replace(principal(owner), session_id=None), None)
    assert refused.value.detail == "Sign in with Google again, then delete the account from that session."
    with pytest.raises(ReauthenticationRequired) as unknown:
        await container.request_account_deletion()(
            msgspec.structs.replace(principal(owner), session_id="ses_unknown"), None
        )
    assert unknown.value.detail == ("Sign in with Google again (within the last 10 minutes) to delete the account.")
    assert account_row(container, owner.account.id).status is AccountStatus.ACTIVE


async def _visitor_session(container: Container, account_id: str, agent_id: str, visitor: str) -> None:
    async with container.uow()(account_id=account_id) as uow:
        await uow.chat_sessions.add(
            ChatSession(
                id=new_id("ses"),
                account_id=account_id,
                agent_id=agent_id,
                visitor_id=visitor,
                created_at=container.clock().now(),
            )
        )
        await uow.commit()


async def test_a_visitors_conversations_across_agents_are_exported_and_deleted_with_counts(
    container: Container, clock: ManualClock
) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    visitor, other = "visitor_aaaaaaaaaaaaaaaa", "visitor_bbbbbbbbbbbbbbbb"
    for name in ("One", "Two"):
        agent = await container.create_agent()(who, AgentSettings(name=name))
        await _visitor_session(container, who.account_id, agent.id, visitor)
    await _visitor_session(container, who.account_id, agent.id, other)
    assert sorted(s.visitor_id for s in await container.find_visitor_conversations()(who, visitor)) == [
        visitor,
        visitor,
    ]
    session_id = (await container.find_visitor_conversations()(who, visitor))[0].id
    async with container.uow()(account_id=who.account_id) as uow:
        await uow.chat_messages.add(
            ChatMessage(
                id=new_id("msg"),
                account_id=who.account_id,
                agent_id=agent.id,
                session_id=session_id,
                role=Role.USER,
                content="Where is my order?",
                created_at=clock.now(),
            )
        )
        await uow.commit()
    exported = await container.export_visitor_conversations()(who, visitor)
    assert sorted((c.visitor_id, [m.content for m in c.messages]) for c in exported) == [
        (visitor, []),
        (visitor, ["Where is my order?"]),
    ]
    assert audit(container, who.account_id)[-1] == ("visitor_data_exported", clock.now(), {"sessions": 2})
    assert await container.delete_visitor_conversations()(who, visitor) == 2
    assert audit(container, who.account_id)[-1] == ("visitor_data_deleted", clock.now(), {"sessions": 2})
    assert [s.visitor_id for s in rows(container, "chat_sessions")] == [other]


async def test_an_agents_chat_retention_is_set_read_and_audited(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    retention = container.chat_retention()
    read = container.get_chat_retention()
    assert await read(who, agent.id) is None  # the policy's 12 months
    assert await retention(who, agent.id, 30) == 30
    assert await read(who, agent.id) == 30
    assert audit(container, who.account_id)[-1] == (
        "chat_retention_set",
        clock.now(),
        {"agent_id": agent.id, "days": 30},
    )
    with pytest.raises(InvalidInput):
        await retention(who, agent.id, 366)
    assert await read(who, agent.id) == 30  # refused before anything is written
    for call in (lambda: read(who, "agt_unknown"), lambda: retention(who, "agt_unknown", 30)):
        with pytest.raises(NotFound) as refused:
            await call()
        assert (refused.value.code, refused.value.detail) == ("agent_not_found", "No such agent.")


async def test_the_audit_log_page_is_1_to_200_events_newest_first(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        await container.object_to_processing()(who, objecting=True)
        clock.advance(timedelta(minutes=1))
        await container.object_to_processing()(who, objecting=False)
    listed = container.list_audit_log()
    assert [e.action for e in await listed(who, 0)] == ["objection_withdrawn"]  # at least one
    newest = await listed(who, 2)
    assert [e.at for e in newest] == [clock.now(), clock.now() - timedelta(minutes=1)]
    assert len(await listed(who)) == len(audit(container, who.account_id))


class ScopeSpy:
    """A unit-of-work factory that records the tenant scope of every unit of work opened."""

    def __init__(self, factory) -> None:
        self._factory = factory
        self.scopes: list[str | None] = []

    def __call__(self, *, account_id: str | None, **flags: bool):
        self.scopes.append(account_id)
        return self._factory(account_id=account_id, **flags)


async def test_every_owner_right_runs_in_the_owners_tenant_scope(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    spy = ScopeSpy(container.uow())
    container.uow.override(providers.Object(spy))
    try:

        async def scoped(
            name: str,
            call,
            *,
            then_owned_workspaces: bool = False,
            also: set[str | None] = set(),  # noqa: B006 - read only
        ) -> object:
            spy.scopes.clear()
            result = await call()
            if then_owned_workspaces:
                # the right itself in the owner's scope; then, in the system scope, which
                # workspaces they own (workspace_state: their choice reaches those only)
                assert spy.scopes[0] == who.account_id and set(spy.scopes) == {who.account_id, None}, name
            else:
                assert spy.scopes and set(spy.scopes) - also == {who.account_id}, name  # never the system scope
            return result

        await scoped("overview", lambda: container.get_privacy_overview()(who))
        await scoped("audit log", lambda: container.list_audit_log()(who))
        await scoped(
            "restrict", lambda: container.restrict_processing()(who, restrict=True), then_owned_workspaces=True
        )
        await scoped("lift", lambda: container.restrict_processing()(who, restrict=False), then_owned_workspaces=True)
        await scoped(
            "object", lambda: container.object_to_processing()(who, objecting=True), then_owned_workspaces=True
        )
        export = await scoped("export", lambda: container.request_export()(who))
        await scoped("exports", lambda: container.list_exports()(who))
        # The person's memberships span workspaces: read in the system scope, filtered by the person
        # (as the workspace switcher's list is), and nothing else.
        await scoped("build", lambda: container.build_export()(who.account_id, export.id), also={None})
        await scoped("link", lambda: container.issue_export_link()(who, export.id))
        await scoped("find visitor", lambda: container.find_visitor_conversations()(who, "visitor_x_0123456789"))
        await scoped("export visitor", lambda: container.export_visitor_conversations()(who, "visitor_x_0123456789"))
        await scoped("delete visitor", lambda: container.delete_visitor_conversations()(who, "visitor_x_0123456789"))
        await scoped("retention", lambda: container.get_chat_retention()(who, agent.id))
        await scoped("set retention", lambda: container.chat_retention()(who, agent.id, 30))
        await scoped("allowed", lambda: container.processing_allowed()(who.account_id))
        await scoped("erase", lambda: container.request_account_deletion()(who, PASSWORD))
    finally:
        container.uow.reset_override()


async def test_the_exports_page_holds_the_20_newest(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    async with container.uow()(account_id=who.account_id) as uow:
        for i in range(21):
            at = clock.now() + timedelta(minutes=i)
            await uow.privacy.add_export(
                DataExport(
                    id=f"exp_{i:02d}",
                    account_id=who.account_id,
                    status=ExportStatus.READY,
                    created_at=at,
                    expires_at=at + timedelta(days=7),
                )
            )
        await uow.commit()
    assert [e.id for e in await container.list_exports()(who)] == [f"exp_{i:02d}" for i in range(20, 0, -1)]


async def test_the_audit_log_page_is_at_most_200_events(container: Container, clock: ManualClock) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    async with container.uow()(account_id=who.account_id) as uow:
        for i in range(201):
            await uow.privacy.add_event(
                AuditEvent(
                    id=f"aud_{i:03d}",
                    account_id=who.account_id,
                    action="objected",
                    at=clock.now() + timedelta(seconds=i),
                )
            )
        await uow.commit()
    assert len(await container.list_audit_log()(who)) == 200
    assert len(await container.list_audit_log()(who, 1000)) == 200
    assert [e.id for e in await container.list_audit_log()(who, 1)] == ["aud_200"]


async def test_201_agents_are_all_searched_exported_and_their_waiting_documents_requeued(
    container: Container, clock: ManualClock
) -> None:
    """One more agent than a page (200): every page is read, and no agent twice. Pages go
    newest first: the 200th agent ends the first page, the 201st (the oldest) is alone on the
    second; both hold the visitor's conversation and a document waiting for the restriction
    to be lifted."""
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    newest = await container.create_agent()(who, AgentSettings(name="Helper"))
    older = [new_id("agt") for _ in range(200)]  # newest first: older[198] is the 200th, older[199] the 201st
    async with container.uow()(account_id=who.account_id) as uow:
        for i, agent_id in enumerate(older, start=1):
            await uow.agents.add(
                msgspec.structs.replace(
                    newest,
                    id=agent_id,
                    public_key=f"{newest.public_key}{i}",
                    created_at=newest.created_at - timedelta(seconds=i),
                )
            )
        await uow.commit()
    edge = sorted(older[198:])
    visitor = "visitor_cccccccccccccccc"
    for agent_id in edge:
        await _visitor_session(container, who.account_id, agent_id, visitor)
    assert sorted(s.agent_id for s in await container.find_visitor_conversations()(who, visitor)) == edge
    assert sorted(c.agent_id for c in await container.export_visitor_conversations()(who, visitor)) == edge
    export = await container.request_workspace_export()(who, who.workspace_id)  # the workspace's data
    await container.build_export()(who.account_id, export.id)
    [ready] = [e for e in rows(container, "data_exports") if e.id == export.id]
    archive = zipfile.ZipFile(io.BytesIO(await container.blob_store().get(ready.blob_key)))
    assert sorted(a["id"] for a in json.loads(archive.read("agents.json"))) == sorted([*older, newest.id])
    assert sorted(c["agent_id"] for c in json.loads(archive.read("conversations.json"))) == edge
    assert await container.delete_visitor_conversations()(who, visitor) == 2
    await container.restrict_processing()(who, restrict=True)
    ingests = {}
    for agent_id in edge:
        document, _ = await container.add_document()(
            who,
            agent_id,
            DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain"),
        )
        ingests[document.id] = f"documents.ingest:{document.id}:{document.version}:1"

    def keys(document_id: str) -> list[str]:
        return [
            j.dedupe_key for j in container.job_store()._jobs.values() if j.payload.get("document_id") == document_id
        ]

    assert {d: keys(d) for d in ingests} == {d: [ingest] for d, ingest in ingests.items()}
    await container.restrict_processing()(who, restrict=False)  # lifting queues each document again, once
    for document_id, ingest in ingests.items():
        first_job, lifted = keys(document_id)
        assert first_job == ingest and lifted.startswith(f"{ingest}:lifted:")
        assert len(lifted) == len(f"{ingest}:lifted:") + 8  # a random suffix: a new job even if one ran


async def test_lifting_queues_the_waiting_documents_of_every_workspace_the_person_owns_once(
    container: Container,
) -> None:
    """Kills `RestrictProcessing.__call__` 70, 75–78 (the other owned workspaces' waiting
    documents not queued again when the restriction is lifted: they would wait for good) and 13
    (a lift without a restriction queues them again): Ada restricts, adds a document in her
    second workspace (it waits), lifts: one new ingestion job; lifting again: none."""
    who = principal(await signed_up(container, "ada@example.com"))
    created = await container.create_workspace()(who, "Second shop")
    there = msgspec.structs.replace(who, workspace_id=created.id)
    await container.restrict_processing()(who, restrict=True)
    agent = await container.create_agent()(there, AgentSettings(name="Helper"))
    upload = DocumentUpload(data=b"Refunds take fourteen days.", filename="refunds.txt", content_type="text/plain")
    document, _ = await container.add_document()(there, agent.id, upload)
    ingest = f"documents.ingest:{document.id}:{document.version}:1"

    def keys() -> list[str]:
        return [
            j.dedupe_key for j in container.job_store()._jobs.values() if j.payload.get("document_id") == document.id
        ]

    assert keys() == [ingest]
    await container.restrict_processing()(who, restrict=False)
    first_job, lifted = keys()
    assert first_job == ingest and lifted.startswith(f"{ingest}:lifted:")
    await container.restrict_processing()(who, restrict=False)  # no restriction to lift: nothing queued
    assert len(keys()) == 2


class RecordingIngest:
    """Stands in for the ingestion step: records what it is asked to ingest."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, int]] = []

    async def __call__(self, account_id: str, document_id: str, version: int, attempt: int) -> dict[str, bool]:
        self.calls.append((account_id, document_id, version, attempt))
        return {"ingested": True}


async def test_ingestion_waits_while_restricted_and_says_why(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    ingest = RecordingIngest()
    container.ingest_document.override(providers.Object(ingest))
    spy = ScopeSpy(container.uow())
    container.uow.override(providers.Object(spy))
    try:
        job = container.ingest_unless_restricted()
        assert await job(who.account_id, "doc_1", 2) == {"ingested": True}
        assert ingest.calls == [(who.account_id, "doc_1", 2, 1)]  # the first attempt by default
        assert await job(who.account_id, "doc_1", 2, 3) == {"ingested": True}
        assert ingest.calls[-1] == (who.account_id, "doc_1", 2, 3)
        await container.restrict_processing()(who, restrict=True)
        spy.scopes.clear()
        assert await job(who.account_id, "doc_1", 2) == {"deferred": "processing_restricted"}
        assert spy.scopes == [who.account_id]  # read in the owner's scope
        assert len(ingest.calls) == 2  # nothing reached the embedder
    finally:
        container.uow.reset_override()
        container.ingest_document.reset_override()


async def test_an_export_holds_all_201_conversations_of_an_agent(container: Container) -> None:
    """One more conversation than a page (200): the export reads every page, each once."""
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    async with container.uow()(account_id=who.account_id) as uow:
        for i in range(201):
            await uow.chat_sessions.add(
                ChatSession(
                    id=new_id("ses"),
                    account_id=who.account_id,
                    agent_id=agent.id,
                    visitor_id=f"visitor_{i:016d}",
                    created_at=container.clock().now() + timedelta(seconds=i),
                )
            )
        await uow.commit()
    export = await container.request_workspace_export()(who, who.workspace_id)  # the workspace's data
    await container.build_export()(who.account_id, export.id)
    [ready] = rows(container, "data_exports")
    archive = zipfile.ZipFile(io.BytesIO(await container.blob_store().get(ready.blob_key)))
    visitors = sorted(c["visitor_id"] for c in json.loads(archive.read("conversations.json")))
    assert visitors == [f"visitor_{i:016d}" for i in range(201)]
