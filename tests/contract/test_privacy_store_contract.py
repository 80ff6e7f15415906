"""The privacy store and the operational records, on the memory and the Postgres adapter alike."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import msgspec

from aioomi.domain.model.accounts import AccountStatus, Principal, TrustedDevice
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import AuditEvent, DataExport, ExportStatus, PrivacyState, RetentionRun
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.usecases.auth_support import ClientInfo
from aioomi.domain.usecases.sign_up import SignUpRequest

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _account(container, email: str = "ada@example.com") -> str:
    await container.sign_up()(
        SignUpRequest(
            email=email,
            full_name="Ada Lovelace",
            password="correct horse battery",
            adult=True,
            accepted_policy_version="2026-02-15",
        ),
        ClientInfo(ip=None, user_agent=None),
    )
    async with container.uow()(account_id=None) as uow:
        account = await uow.accounts.find_by_email(email)
    return account.id


async def test_the_seeded_policy_version_is_in_force(container) -> None:
    async with container.uow()(account_id=None) as uow:
        versions = await uow.privacy.list_policy_versions()
    assert [v.version for v in versions] == ["2026-02-15"]


async def test_state_audit_and_exports_round_trip_and_stay_in_their_tenant(container) -> None:
    ada, bob = await _account(container), await _account(container, "bob@example.com")
    async with container.uow()(account_id=ada) as uow:
        await uow.privacy.save_state(
            PrivacyState(
                account_id=ada,
                objected_at=NOW,
                deletion_requested_at=NOW,
                purge_after=NOW + timedelta(days=7),
                cancel_token_hash="h" * 64,
            )
        )
        await uow.privacy.add_event(
            AuditEvent(id=new_id("aud"), account_id=ada, action="objected", at=NOW, detail={"scope": "usage_analytics"})
        )
        await uow.privacy.add_export(
            DataExport(
                id="exp_1",
                account_id=ada,
                status=ExportStatus.QUEUED,
                created_at=NOW,
                expires_at=NOW + timedelta(days=7),
            )
        )
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        state = await uow.privacy.get_state(ada)
        events = await uow.privacy.list_events(ada, 10)
        exports = await uow.privacy.list_exports(ada, 10)
    assert state is not None and state.objected_at == NOW and state.purge_after == NOW + timedelta(days=7)
    assert [(e.action, e.detail) for e in events] == [("objected", {"scope": "usage_analytics"})]
    assert [e.id for e in exports] == ["exp_1"]
    async with container.uow()(account_id=bob) as uow:
        assert await uow.privacy.get_state(ada) is None
        assert await uow.privacy.list_events(ada, 10) == []
        assert await uow.privacy.get_export(ada, "exp_1") is None
    async with container.uow()(account_id=None) as uow:
        assert (await uow.privacy.find_by_cancel_token("h" * 64)).account_id == ada
        assert await uow.privacy.due_for_purge(NOW + timedelta(days=8), 10) == []  # still active
        assert await uow.privacy.analytics_opt_outs() == [ada]
        assert [e.id for e in await uow.privacy.expired_exports(NOW + timedelta(days=7), 10)] == ["exp_1"]


async def test_the_chat_sweep_honours_12_months_and_the_agents_setting(container) -> None:
    ada = await _account(container)
    who = Principal(account_id=ada)
    year = await container.create_agent()(who, AgentSettings(name="Year"))
    week = await container.create_agent()(who, AgentSettings(name="Week"))
    async with container.uow()(account_id=ada) as uow:
        await uow.privacy.set_chat_retention(ada, week.id, 7)
        for agent, age in ((year, 364), (year, 366), (week, 6), (week, 8)):
            await uow.chat_sessions.add(
                ChatSession(
                    id=f"ses_{agent.name}_{age}",
                    account_id=ada,
                    agent_id=agent.id,
                    visitor_id="visitor_0123456789abcdef",
                    created_at=NOW - timedelta(days=age),
                )
            )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.sweep_chats(NOW, 1) == 1  # bounded batches
        assert await uow.privacy.sweep_chats(NOW, 100) == 1
        assert await uow.privacy.sweep_chats(NOW, 100) == 0  # idempotent
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        left = {s.id for a in (year, week) for s in await uow.chat_sessions.list_for_agent(ada, a.id, limit=10)}
        assert await uow.privacy.get_chat_retention(ada, week.id) == 7
    assert left == {"ses_Year_364", "ses_Week_6"}


async def test_runs_are_recorded_and_the_request_log_is_swept(container) -> None:
    records = container.operational_records()
    ada = await _account(container)
    await container.request_log().add_many(
        [
            RequestLogEntry(
                occurred_at=NOW - timedelta(days=d),
                method="GET",
                route="/x",
                status=200,
                latency_ms=1.0,
                account_id=ada,
                ip="192.0.2.1",
            )
            for d in (1, 91)
        ]
    )
    assert await records.purge_request_log(NOW - timedelta(days=90), 100) == 1
    assert await records.anonymize_request_log([ada]) == 1
    assert [(e.account_id, e.ip) for e in await container.request_log().recent(ada)] == []
    async with records.exclusive("retention:test") as first:
        async with records.exclusive("retention:test") as second:
            assert first and not second
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.add_run(RetentionRun(id="rrun_1", kind="chats", started_at=NOW, finished_at=NOW, removed=3))
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert [(r.kind, r.removed) for r in await uow.privacy.list_runs(10, "chats")] == [("chats", 3)]


async def test_the_chat_sweep_on_dates_written_out_around_a_leap_day(container) -> None:
    """12 months before 2028-02-29 12:00 is 2027-02-28 12:00; 30 days before it, 2028-01-30 12:00."""
    ada = await _account(container)
    who = Principal(account_id=ada)
    year = await container.create_agent()(who, AgentSettings(name="Year"))
    month = await container.create_agent()(who, AgentSettings(name="Month"))
    created = {
        "year_kept": (year, datetime(2027, 2, 28, 12, 0, tzinfo=UTC)),
        "year_gone": (year, datetime(2027, 2, 28, 11, 59, 59, tzinfo=UTC)),
        "month_kept": (month, datetime(2028, 1, 30, 12, 0, tzinfo=UTC)),
        "month_gone": (month, datetime(2028, 1, 30, 11, 59, 59, tzinfo=UTC)),
    }
    async with container.uow()(account_id=ada) as uow:
        await uow.privacy.set_chat_retention(ada, month.id, 30)
        for name, (agent, at) in created.items():
            await uow.chat_sessions.add(
                ChatSession(
                    id=f"ses_{name}",
                    account_id=ada,
                    agent_id=agent.id,
                    visitor_id="visitor_0123456789abcdef",
                    created_at=at,
                )
            )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.sweep_chats(datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 100) == 2
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        left = {s.id for a in (year, month) for s in await uow.chat_sessions.list_for_agent(ada, a.id, limit=10)}
    assert left == {"ses_year_kept", "ses_month_kept"}


async def test_opt_outs_among_names_only_objecting_or_restricting_accounts(container) -> None:
    ada = await _account(container, "ada@example.com")
    bob = await _account(container, "bob@example.com")
    cy = await _account(container, "cy@example.com")
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.save_state(PrivacyState(account_id=ada, objected_at=NOW))
        await uow.privacy.save_state(PrivacyState(account_id=bob, restricted_at=NOW))
        await uow.privacy.save_state(PrivacyState(account_id=cy))
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.analytics_opt_outs_among([ada, bob, cy, "acct_unknown"]) == {ada, bob}
        assert await uow.privacy.analytics_opt_outs_among([cy]) == set()
        assert await uow.privacy.analytics_opt_outs_among([]) == set()


async def test_a_batch_flushed_after_the_purge_never_names_the_erased_account(container) -> None:
    """The request log writer flushes in the background: here the batch holding the erased
    account's last requests reaches the log only after the purge, the ordering that left a row
    behind under load. Pending deletion, objection and restriction are honoured the same way."""
    ada, bob = await _account(container), await _account(container, "bob@example.com")
    cy, dee = await _account(container, "cy@example.com"), await _account(container, "dee@example.com")
    eve = await _account(container, "eve@example.com")

    def entry(account_id: str | None, ip: str) -> RequestLogEntry:
        return RequestLogEntry(
            occurred_at=NOW,
            method="GET",
            route="/api/v1/agents",
            status=200,
            latency_ms=1.0,
            account_id=account_id,
            ip=ip,
        )

    batch = [
        entry(ada, "203.0.113.1"),
        entry(bob, "203.0.113.2"),
        entry(cy, "203.0.113.3"),
        entry(dee, "203.0.113.4"),
        entry(eve, "203.0.113.5"),
        entry(None, "203.0.113.6"),
    ]
    async with container.uow()(account_id=None) as uow:
        for pending in (ada, cy):
            account = await uow.accounts.get(pending)
            await uow.accounts.update(msgspec.structs.replace(account, status=AccountStatus.DELETION_PENDING))
        await uow.privacy.save_state(PrivacyState(account_id=dee, objected_at=NOW))
        await uow.privacy.save_state(PrivacyState(account_id=eve, restricted_at=NOW))
        await uow.commit()
    await container.purge_deleted_accounts().purge(ada)  # the purge runs; cy is still in its grace period
    async with container.uow()(account_id=None) as uow:
        assert await uow.accounts.get(ada) is None

    await container.record_api_requests()(batch)  # ... and only then is the batch flushed

    log = container.request_log()
    assert [(e.account_id, e.ip) for e in await log.recent(bob)] == [(bob, "203.0.113.2")]
    for anonymous in (ada, cy, dee, eve):
        assert await log.recent(anonymous) == []
    # Every entry is still counted (six rows), just without account and IP where it may not name one.
    assert await container.operational_records().purge_request_log(NOW + timedelta(days=1), 100) == 6


async def test_expired_trusted_devices_are_swept_recorded_and_exported_without_their_hashes(container) -> None:
    ada, bob = await _account(container), await _account(container, "bob@example.com")
    now = container.clock().now()
    devices = [
        TrustedDevice(
            id="dev_ada_old",
            account_id=ada,
            token_hash="a" * 64,
            created_at=now - timedelta(days=181),
            expires_at=now - timedelta(days=1),
        ),  # expired yesterday: swept
        TrustedDevice(
            id="dev_ada_new",
            account_id=ada,
            token_hash="b" * 64,
            created_at=now - timedelta(days=10),
            expires_at=now + timedelta(days=170),
        ),  # still trusted: kept
        TrustedDevice(
            id="dev_bob_old",
            account_id=bob,
            token_hash="c" * 64,
            created_at=now - timedelta(days=200),
            expires_at=now - timedelta(days=20),
        ),  # another tenant's, expired: swept too
    ]
    async with container.uow()(account_id=None) as uow:
        for device in devices:
            await uow.devices.add(device)
        await uow.commit()

    summary = await container.retention_sweeps()()
    assert summary["trusted_devices"] == 2
    async with container.uow()(account_id=None) as uow:
        assert [d.id for d in await uow.devices.list_for_account(ada)] == ["dev_ada_new"]
        assert await uow.devices.list_for_account(bob) == []
        runs = await uow.privacy.list_runs(10, "trusted_devices")
    assert [(r.kind, r.removed) for r in runs] == [("trusted_devices", 2)]
    assert (await container.retention_sweeps()())["trusted_devices"] == 0  # idempotent

    who = Principal(account_id=ada)
    export = await container.request_export()(who)
    await container.build_export()(ada, export.id)
    token = (await container.issue_export_link()(who, export.id)).url.split("token=")[1]
    _, handle = await container.download_export()(token)
    with handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    listed = json.loads(archive.read("trusted_devices.json"))
    assert [d["id"] for d in listed] == ["dev_ada_new"]
    assert set(listed[0]) == {"id", "created_at", "expires_at"}
    assert b"b" * 64 not in b"".join(archive.read(n) for n in archive.namelist())  # no token hash anywhere
    manifest = json.loads(archive.read("manifest.json"))
    assert "trusted_devices.json" in {f["name"] for f in manifest["files"]}
