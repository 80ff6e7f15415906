"""The privacy store and the operational records, on the memory and the Postgres adapter alike."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import msgspec
import psycopg
import psycopg.types.json
import pytest

from aioomi.domain.model.accounts import AccountStatus, Principal, TrustedDevice
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import AuditEvent, DataExport, ExportStatus, PrivacyState, RetentionRun
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.model.workspaces import AuditEvent as WorkspaceAuditEvent
from aioomi.domain.model.workspaces import Invitation, Membership, Role, new_workspace
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
    who = Principal.own(account_id=ada)
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
    who = Principal.own(account_id=ada)
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
    await container.purge_deleted_account()(ada)  # the purge runs; cy is still in its grace period
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

    who = Principal.own(account_id=ada)
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


# -- rule by rule, on both backends (tests added to kill the adapter's mutants; docs/privacy.md) --


async def _deleting(container, account_id: str, purge_after: datetime) -> None:
    async with container.uow()(account_id=None) as uow:
        account = await uow.accounts.get(account_id)
        await uow.accounts.update(msgspec.structs.replace(account, status=AccountStatus.DELETION_PENDING))
        await uow.privacy.save_state(
            PrivacyState(
                account_id=account_id,
                deletion_requested_at=NOW,
                purge_after=purge_after,
                cancel_token_hash=f"{account_id:>64}",
            )
        )
        await uow.commit()


async def test_accounts_are_due_for_purge_from_their_time_oldest_first_and_only_while_being_deleted(
    container,
) -> None:
    ada, bob, cy = [await _account(container, f"{n}@example.com") for n in ("ada", "bob", "cy")]
    await _deleting(container, ada, NOW + timedelta(days=2))
    await _deleting(container, bob, NOW + timedelta(days=1))
    async with container.uow()(account_id=None) as uow:  # cy chose a purge date but is not being deleted
        await uow.privacy.save_state(PrivacyState(account_id=cy, deletion_requested_at=NOW, purge_after=NOW))
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.due_for_purge(NOW + timedelta(days=1) - timedelta(seconds=1), 10) == []
        assert await uow.privacy.due_for_purge(NOW + timedelta(days=1), 10) == [bob]  # due at its very time
        assert await uow.privacy.due_for_purge(NOW + timedelta(days=3), 10) == [bob, ada]
        assert await uow.privacy.due_for_purge(NOW + timedelta(days=3), 1) == [bob]
        assert (await uow.privacy.find_by_cancel_token(f"{ada:>64}")).account_id == ada
        assert await uow.privacy.find_by_cancel_token("x" * 64) is None
        # the policy notices skip accounts being deleted, go in id order and resume after an id
        everyone = await uow.privacy.accounts_to_notify(None, 10)
        assert everyone == [cy]
        assert await uow.privacy.accounts_to_notify(cy, 10) == []
        assert await uow.privacy.accounts_to_notify(None, 0) == []


async def test_policy_notices_resume_after_the_last_id_in_order(container) -> None:
    ids = sorted([await _account(container, f"{n}@example.com") for n in ("ada", "bob", "cy")])
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.accounts_to_notify(None, 2) == ids[:2]
        assert await uow.privacy.accounts_to_notify(ids[0], 10) == ids[1:]
        assert await uow.privacy.accounts_to_notify(ids[1], 1) == ids[2:]


def _export(account_id: str, export_id: str, created: datetime, **changes: object) -> DataExport:
    return DataExport(
        id=export_id,
        account_id=account_id,
        status=ExportStatus.QUEUED,
        created_at=created,
        expires_at=created + timedelta(days=7),
        **changes,
    )  # type: ignore[arg-type]


async def test_exports_list_newest_first_expire_at_their_time_and_are_found_by_link(container) -> None:
    ada, bob = await _account(container), await _account(container, "bob@example.com")
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.add_export(_export(ada, "exp_a1", NOW))
        await uow.privacy.add_export(
            _export(
                ada, "exp_a2", NOW + timedelta(hours=1), link_hash="l" * 64, link_expires_at=NOW + timedelta(hours=2)
            )
        )
        await uow.privacy.add_export(_export(bob, "exp_b1", NOW - timedelta(hours=1)))
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert [e.id for e in await uow.privacy.list_exports(ada, 10)] == ["exp_a2", "exp_a1"]
        assert [e.id for e in await uow.privacy.list_exports(ada, 1)] == ["exp_a2"]
        found = await uow.privacy.find_export_by_link("l" * 64, for_update=True)
        assert (found.id, found.link_expires_at) == ("exp_a2", NOW + timedelta(hours=2))
        assert (await uow.privacy.find_export_by_link("l" * 64)).id == "exp_a2"
        assert await uow.privacy.find_export_by_link("m" * 64) is None
        expired = uow.privacy.expired_exports
        assert await expired(NOW + timedelta(days=7) - timedelta(hours=1, seconds=1), 10) == []
        assert [e.id for e in await expired(NOW + timedelta(days=7) - timedelta(hours=1), 10)] == ["exp_b1"]
        assert [e.id for e in await expired(NOW + timedelta(days=8), 10)] == ["exp_b1", "exp_a1", "exp_a2"]
        assert [e.id for e in await expired(NOW + timedelta(days=8), 2)] == ["exp_b1", "exp_a1"]
        ready = msgspec.structs.replace(
            await uow.privacy.get_export(ada, "exp_a1"),
            status=ExportStatus.READY,
            ready_at=NOW,
            blob_key=f"{ada}/exports/exp_a1.zip",
            size_bytes=10,
        )
        await uow.privacy.update_export(ready)
        await uow.privacy.delete_export(bob, "exp_a1")  # another account's id: nothing
        await uow.privacy.delete_export(ada, "exp_a2")
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.list_exports(ada, 10) == [ready]
        assert [e.id for e in await uow.privacy.list_exports(bob, 10)] == ["exp_b1"]


async def test_a_link_found_for_update_holds_a_racing_download_until_it_is_consumed(
    postgres_container, pg_conninfo: str
) -> None:
    """Postgres only (the memory store runs one unit of work at a time): DownloadExport finds the
    link with `for_update=True`, so a second request with the same link waits on the row lock
    and then no longer finds it. The HTTP race in test_export_download_http.py passes without the
    lock whenever its two requests do not overlap; here the second one is seen waiting first."""
    container = postgres_container
    ada = await _account(container)
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.add_export(
            _export(ada, "exp_1", NOW, link_hash="l" * 64, link_expires_at=NOW + timedelta(hours=1))
        )
        await uow.commit()

    async def second_download() -> DataExport | None:
        async with container.uow()(account_id=None) as uow:
            return await uow.privacy.find_export_by_link("l" * 64, for_update=True)

    async with container.uow()(account_id=None) as first:
        found = await first.privacy.find_export_by_link("l" * 64, for_update=True)
        racing = asyncio.create_task(second_download())
        async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as watcher:
            waiting = 0
            while not waiting and not racing.done():  # until it waits on the lock (or, unlocked, ends)
                await asyncio.sleep(0.01)
                cur = await watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE '%FROM data_exports WHERE link_hash%'"
                )
                waiting = (await cur.fetchone() or (0,))[0]
        await first.privacy.update_export(msgspec.structs.replace(found, link_hash=None, link_expires_at=None))
        await first.commit()
    assert await racing is None


async def test_a_download_waits_on_the_links_row_lock_and_then_finds_the_link_used(
    postgres_container, pg_conninfo: str
) -> None:
    """Postgres only: DownloadExport asks for the row lock, so while another download holds the
    link's row it waits, then answers `export_link_not_found` (a link works once)."""
    container = postgres_container
    ada = await _account(container)
    who = Principal.own(account_id=ada)
    export = await container.request_export()(who)
    await container.build_export()(ada, export.id)
    token = (await container.issue_export_link()(who, export.id)).url.rsplit("token=", 1)[1]
    async with container.uow()(account_id=None) as first:  # the first download, holding the row
        found = await first.privacy.find_export_by_link(hash_token(token), for_update=True)
        racing = asyncio.create_task(container.download_export()(token))
        async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as watcher:
            waiting = 0
            while not waiting and not racing.done():  # until it waits on the lock (or, unlocked, ends)
                await asyncio.sleep(0.01)
                cur = await watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE '%FROM data_exports WHERE link_hash%'"
                )
                waiting = (await cur.fetchone() or (0,))[0]
        await first.privacy.update_export(msgspec.structs.replace(found, link_hash=None, link_expires_at=None))
        await first.commit()
    with pytest.raises(NotFound) as raised:
        await racing
    assert raised.value.code == "export_link_not_found"


async def test_erasure_removes_the_stripe_events_and_billing_runs_naming_the_account_or_its_customer(
    postgres_container, pg_conninfo: str
) -> None:
    """Postgres only: these rows hold the account's id or its Stripe customer's id inside JSON
    (the memory store matches the account's id in every table). Rows naming others stay."""
    container = postgres_container
    ada, bob = await _account(container), await _account(container, "bob@example.com")
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as db:
        await db.execute(
            "INSERT INTO billing_accounts (account_id, customer_id) VALUES (%s, 'cus_ada'), (%s, 'cus_bob')",
            (ada, bob),
        )
        for event_id, data in (
            ("evt_by_account", {"metadata": {"account_id": ada}}),
            ("evt_by_customer", {"customer": "cus_ada"}),
            ("evt_bob", {"customer": "cus_bob", "metadata": {"account_id": bob}}),
        ):
            await db.execute(
                "INSERT INTO stripe_events (id, type, created, data, status, received_at) "
                "VALUES (%s, 'invoice.paid', %s, %s, 'processed', %s)",
                (event_id, NOW, psycopg.types.json.Jsonb(data), NOW),
            )
        for run_id, summary in (
            ("run_ada", {"accounts": [ada]}),
            ("run_cus", {"customers": ["cus_ada"]}),
            ("run_bob", {"accounts": [bob]}),
        ):
            await db.execute(
                "INSERT INTO billing_runs (id, kind, ran_at, summary) VALUES (%s, 'reconciliation', %s, %s)",
                (run_id, NOW, psycopg.types.json.Jsonb(summary)),
            )
        async with container.uow()(account_id=None) as uow:
            # 2 events, 2 runs, the workspace Ada alone owns (issue 21), the account
            assert await uow.privacy.erase_account(ada) == 6
            await uow.commit()
        events = await (await db.execute("SELECT id FROM stripe_events ORDER BY id")).fetchall()
        runs = await (await db.execute("SELECT id FROM billing_runs ORDER BY id")).fetchall()
        accounts = await (await db.execute("SELECT id FROM accounts ORDER BY id")).fetchall()
        workspaces = await (await db.execute("SELECT id FROM workspaces ORDER BY id")).fetchall()
    assert [r[0] for r in events] == ["evt_bob"]
    assert [r[0] for r in runs] == ["run_bob"]
    assert [r[0] for r in accounts] == [bob]
    assert [r[0] for r in workspaces] == [bob]


async def test_erasing_a_workspace_removes_its_stripe_events_billing_runs_and_row_and_counts_them(
    postgres_container, pg_conninfo: str
) -> None:
    """Postgres: erasing Ada's shop workspace (issue 21's purge) removes the Stripe events and
    billing runs naming the workspace or its Stripe customer, and the workspace; Ada's own
    workspace (its customer) and Bob's keep theirs. The shop's export is found by the workspace,
    Ada's own is not. Kills `PostgresPrivacyStore.erase_workspace`'s and `workspace_exports`'s
    survivors (a `>= 1` count and no Stripe rows were all the tests had)."""
    container = postgres_container
    ada, bob = await _account(container), await _account(container, "bob@example.com")
    async with container.uow()(account_id=None) as uow:
        await uow.workspaces.lock_person(ada)
        await uow.workspaces.add(*new_workspace("ws_shop", ada, "Shop", NOW))
        await uow.commit()
    shop_export = DataExport(
        id="exp_shop",
        account_id=ada,
        workspace_id="ws_shop",
        status=ExportStatus.READY,
        created_at=NOW,
        ready_at=NOW + timedelta(minutes=1),
        expires_at=NOW + timedelta(days=7),
        blob_key=f"{ada}/exports/exp_shop.zip",
        size_bytes=1234,
    )
    own_export = DataExport(
        id="exp_own", account_id=ada, status=ExportStatus.QUEUED, created_at=NOW, expires_at=NOW + timedelta(days=7)
    )
    async with container.uow()(account_id=ada) as uow:
        await uow.privacy.add_export(shop_export)
        await uow.privacy.add_export(own_export)
        await uow.commit()
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as db:
        await db.execute(
            "INSERT INTO billing_accounts (account_id, customer_id) VALUES ('ws_shop', 'cus_shop'), "
            "(%s, 'cus_ada'), (%s, 'cus_bob')",
            (ada, bob),
        )
        for event_id, data in (
            ("evt_shop", {"metadata": {"account_id": "ws_shop"}}),
            ("evt_shop_customer", {"customer": "cus_shop"}),
            ("evt_ada", {"customer": "cus_ada", "metadata": {"account_id": ada}}),
            ("evt_bob", {"customer": "cus_bob", "metadata": {"account_id": bob}}),
        ):
            await db.execute(
                "INSERT INTO stripe_events (id, type, created, data, status, received_at) "
                "VALUES (%s, 'invoice.paid', %s, %s, 'processed', %s)",
                (event_id, NOW, psycopg.types.json.Jsonb(data), NOW),
            )
        for run_id, summary in (
            ("run_shop", {"accounts": ["ws_shop"]}),
            ("run_shop_customer", {"customers": ["cus_shop"]}),
            ("run_ada", {"accounts": [ada], "customers": ["cus_ada"]}),
            ("run_bob", {"accounts": [bob]}),
        ):
            await db.execute(
                "INSERT INTO billing_runs (id, kind, ran_at, summary) VALUES (%s, 'reconciliation', %s, %s)",
                (run_id, NOW, psycopg.types.json.Jsonb(summary)),
            )
        async with container.uow()(account_id=None) as uow:
            assert await uow.privacy.workspace_exports("ws_shop") == [shop_export]
            assert await uow.privacy.workspace_exports(ada) == []
            # 2 events, 2 runs, the workspace
            assert await uow.privacy.erase_workspace("ws_shop") == 5
            await uow.commit()
        events = await (await db.execute("SELECT id FROM stripe_events ORDER BY id")).fetchall()
        runs = await (await db.execute("SELECT id FROM billing_runs ORDER BY id")).fetchall()
        accounts = await (await db.execute("SELECT id FROM accounts ORDER BY id")).fetchall()
        workspaces = await (await db.execute("SELECT id FROM workspaces ORDER BY id")).fetchall()
    assert [r[0] for r in events] == ["evt_ada", "evt_bob"]
    assert [r[0] for r in runs] == ["run_ada", "run_bob"]
    assert [r[0] for r in accounts] == sorted([ada, bob])
    assert [r[0] for r in workspaces] == sorted([ada, bob])


def _month_partitions(conninfo: str) -> set[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        found = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent IN ('api_request_log'::regclass, 'chat_messages'::regclass)"
        ).fetchall()
    return {r[0] for r in found}


async def test_months_wholly_past_the_cutoff_go_as_partitions_and_are_counted(
    postgres_container, pg_conninfo: str
) -> None:
    """Postgres (migrations 0048, 0051): January to March 2030 are prepared for both tables
    partitioned by month (2 x 3, then none); the request log's sweep at 10 February 2030 drops
    January (2 rows, counted) and deletes the 9 February row in a batch of 1: 3. The chat sweep
    on 20 February 2031 (12-month cutoff 20 February 2030) drops January's messages as a
    partition and deletes January's session; February stays. Kills the survivors of
    `prepare_partitions`, `_scalar`, `purge_request_log` and `sweep_chats`'s partition drop."""
    container = postgres_container
    records = container.operational_records()
    ada = await _account(container)
    assert await records.prepare_partitions(datetime(2030, 1, 15, 12, tzinfo=UTC), 2) == 2 * 3
    assert await records.prepare_partitions(datetime(2030, 1, 15, 12, tzinfo=UTC), 2) == 0
    months = {f"{t}_p2030{m:02d}" for t in ("api_request_log", "chat_messages") for m in (1, 2, 3)}
    assert months <= _month_partitions(pg_conninfo)

    await container.request_log().add_many(
        [
            RequestLogEntry(
                occurred_at=at, method="GET", route="/x", status=200, latency_ms=1.0, account_id=ada, ip="192.0.2.1"
            )
            for at in (
                datetime(2030, 1, 5, 10, 0, tzinfo=UTC),
                datetime(2030, 1, 31, 23, 59, tzinfo=UTC),
                datetime(2030, 2, 9, 10, 0, tzinfo=UTC),
                datetime(2030, 2, 11, 10, 0, tzinfo=UTC),
            )
        ]
    )
    assert await records.purge_request_log(datetime(2030, 2, 10, tzinfo=UTC), 1) == 2 + 1
    assert await records.purge_request_log(datetime(2030, 2, 10, tzinfo=UTC), 1) == 0
    assert [e.occurred_at for e in await container.request_log().recent(ada)] == [
        datetime(2030, 2, 11, 10, 0, tzinfo=UTC)
    ]
    assert "api_request_log_p203001" not in _month_partitions(pg_conninfo)

    agent = await container.create_agent()(Principal.own(account_id=ada), AgentSettings(name="Helper"))
    async with container.uow()(account_id=ada) as uow:
        for session_id, at in (
            ("ses_jan", datetime(2030, 1, 20, 10, 0, tzinfo=UTC)),
            ("ses_feb", datetime(2030, 2, 25, 10, 0, tzinfo=UTC)),
        ):
            await uow.chat_sessions.add(
                ChatSession(
                    id=session_id,
                    account_id=ada,
                    agent_id=agent.id,
                    visitor_id="visitor_0123456789abcdef",
                    created_at=at,
                )
            )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.sweep_chats(datetime(2031, 2, 20, tzinfo=UTC), 100) == 1
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        assert [s.id for s in await uow.chat_sessions.list_for_agent(ada, agent.id, limit=10)] == ["ses_feb"]
    left = _month_partitions(pg_conninfo)
    assert "chat_messages_p203001" not in left
    assert {"chat_messages_p203002", "chat_messages_p203003", "api_request_log_p203002"} <= left


async def test_an_agents_chat_retention_is_set_changed_and_unset(container) -> None:
    ada = await _account(container)
    agent = await container.create_agent()(Principal.own(account_id=ada), AgentSettings(name="Helper"))
    async with container.uow()(account_id=ada) as uow:
        assert await uow.privacy.get_chat_retention(ada, agent.id) is None
        await uow.privacy.set_chat_retention(ada, agent.id, 30)
        await uow.privacy.set_chat_retention(ada, agent.id, 60)
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        assert await uow.privacy.get_chat_retention(ada, agent.id) == 60
        await uow.privacy.set_chat_retention(ada, agent.id, None)
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        assert await uow.privacy.get_chat_retention(ada, agent.id) is None


async def test_a_policy_version_is_saved_again_with_its_notice_progress(container) -> None:
    from aioomi.domain.model.privacy import PolicyVersion

    version = PolicyVersion(
        version="2026-05-01",
        effective_on=datetime(2026, 5, 1).date(),
        published_at=NOW,
        summary="Clearer.",
        body="# Policy\n",
    )
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.save_policy_version(version)
        await uow.commit()
    progressed = msgspec.structs.replace(version, notices_sent=2, notices_after="acct_b", notices_sent_at=NOW)
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.save_policy_version(progressed)
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert [v for v in await uow.privacy.list_policy_versions() if v.version == "2026-05-01"] == [progressed]
        assert [v.version for v in await uow.privacy.list_policy_versions()] == ["2026-02-15", "2026-05-01"]


async def test_runs_are_listed_newest_first_by_kind_and_purged_before_their_time(container) -> None:
    async with container.uow()(account_id=None) as uow:
        for i, kind in enumerate(["chats", "exports", "chats"]):
            at = NOW + timedelta(hours=i)
            await uow.privacy.add_run(
                RetentionRun(id=f"rrun_{i}", kind=kind, started_at=at, finished_at=at, removed=i, detail={"n": i})
            )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert [r.id for r in await uow.privacy.list_runs(10)] == ["rrun_2", "rrun_1", "rrun_0"]
        assert [r.id for r in await uow.privacy.list_runs(10, "chats")] == ["rrun_2", "rrun_0"]
        assert [(r.removed, r.detail) for r in await uow.privacy.list_runs(1)] == [(2, {"n": 2})]
        assert await uow.privacy.purge_runs(NOW + timedelta(hours=1), 10) == 1  # strictly before
        assert await uow.privacy.purge_runs(NOW + timedelta(hours=3), 1) == 1  # a batch of one
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert len(await uow.privacy.list_runs(10)) == 1  # which of the two went first is not promised


async def test_pending_sign_ins_are_swept_strictly_after_their_cutoff_in_batches(container) -> None:
    from aioomi.ports.accounts import PendingSignIn

    async with container.uow()(account_id=None) as uow:
        for i in range(3):
            await uow.pending_sign_ins.add(
                PendingSignIn(
                    state_hash=f"state-{i}",
                    nonce="n",
                    code_verifier="v",
                    created_at=NOW,
                    expires_at=NOW + timedelta(minutes=i),
                )
            )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.sweep_pending_sign_ins(NOW, 10) == 0  # expiring at the cutoff: kept
        assert await uow.privacy.sweep_pending_sign_ins(NOW + timedelta(minutes=2), 1) == 1
        assert await uow.privacy.sweep_pending_sign_ins(NOW + timedelta(minutes=2), 10) == 1
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.pending_sign_ins.consume("state-2", NOW) is not None  # the one not yet due


async def test_a_sweep_lock_is_held_by_one_worker_at_a_time(container) -> None:
    records = container.operational_records()
    async with records.exclusive("retention:chats") as first:
        async with records.exclusive("retention:chats") as second:
            async with records.exclusive("retention:exports") as other_kind:
                assert (first, second, other_kind) == (True, False, True)
    async with records.exclusive("retention:chats") as again:
        assert again
    assert await records.anonymize_request_log([]) == 0


async def test_the_orphan_sweep_removes_chunks_and_files_of_removed_documents(container) -> None:
    from aioomi.domain.model.knowledge import Chunk, EmbeddedChunk, content_hash

    def embedded(position: int, text: str) -> EmbeddedChunk:
        return EmbeddedChunk(
            chunk=Chunk(
                text=text,
                position=position,
                heading_path=(),
                char_start=0,
                char_end=len(text),
                token_count=1,
                content_hash=content_hash(text),
            ),
            embedding=[1.0, 0.0, 0.0, 0.0],
        )

    ada = await _account(container)
    agent = await container.create_agent()(Principal.own(account_id=ada), AgentSettings(name="Helper"))
    chunks, blobs = container.chunk_store(), container.blob_store()
    for document, texts in (("doc_gone1", ["one", "two"]), ("doc_gone2", ["three"])):  # no document rows
        await chunks.replace_document(
            account_id=ada,
            agent_id=agent.id,
            document_id=document,
            embedding_model="m",
            chunks=[embedded(i, t) for i, t in enumerate(texts)],
        )
        await blobs.put(f"{ada}/{agent.id}/{document}/v1-0123456789abcdef", b"original")
    sweeps = container.retention_sweeps()
    sweeps._batch = 1
    assert (await sweeps())["knowledge_orphans"] == 3
    assert await chunks.count(account_id=ada, agent_id=agent.id) == 0
    assert await blobs.get(f"{ada}/{agent.id}/doc_gone1/v1-0123456789abcdef") is None
    assert await blobs.get(f"{ada}/{agent.id}/doc_gone2/v1-0123456789abcdef") is None


async def test_erasure_blanks_the_person_in_other_workspaces_audit_logs_and_invitations_and_counts_them(
    postgres_container,
) -> None:
    """Postgres: Ada was an editor in Bob's workspace. Erasing her keeps that workspace's audit
    events and invitations but not who she was (no foreign key does it: the ids are plain text),
    and the count includes those rows. Kills `PostgresPrivacyStore.erase_account` 57 (the actor
    blanked for no one: Ada's id stays in Bob's audit log) and 56 (their count subtracted)."""
    container = postgres_container
    ada, bob = await _account(container), await _account(container, "bob@example.com")
    async with container.uow()(account_id=bob) as uow:
        await uow.workspaces.put_member(Membership(workspace_id=bob, account_id=ada, role=Role.EDITOR, created_at=NOW))
        for event_id, actor, subject in (("aud_1", ada, bob), ("aud_2", bob, ada), ("aud_3", bob, bob)):
            await uow.workspaces.add_audit_event(
                WorkspaceAuditEvent(
                    id=event_id,
                    workspace_id=bob,
                    actor_id=actor,
                    action="member.role_changed",
                    subject=subject,
                    detail={},
                    at=NOW,
                )
            )
        await uow.workspaces.add_invitation(
            Invitation(
                id="inv_1",
                workspace_id=bob,
                email="cy@example.com",
                role=Role.VIEWER,
                token_hash=hash_token("invitation"),
                invited_by=ada,
                created_at=NOW,
                expires_at=NOW + timedelta(days=7),
                sent_at=NOW,
            )
        )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        # her own workspace, the account, 2 audit events and 1 invitation blanked
        assert await uow.privacy.erase_account(ada) == 5
        await uow.commit()
    async with container.uow()(account_id=bob) as uow:
        events = await uow.workspaces.audit_events(bob, 10)
        invitation = await uow.workspaces.get_invitation(bob, "inv_1")
        members = await uow.workspaces.members(bob)
    assert sorted((e.id, e.actor_id, e.subject) for e in events) == [
        ("aud_1", None, bob),
        ("aud_2", bob, None),
        ("aud_3", bob, bob),
    ]
    assert invitation is not None and invitation.invited_by is None
    assert [m.account_id for m in members] == [bob]
