"""The SourceRepository contract, on memory and on Postgres: sources and their runs round-trip
(settings, counts, failures), one upload source per agent, one active run per source, look-ups
by kind, document counts, due schedules, deletion taking runs and documents along, and
isolation between accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.sources import (
    FailureReason,
    RunCounts,
    RunFailure,
    RunStatus,
    Source,
    SourceKind,
    SourceRun,
    SourceSettings,
    SyncSchedule,
)
from tests.contract.test_document_store_contract import add, document, owners  # noqa: F401 - fixture

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def source(
    account_id: str,
    agent_id: str,
    kind: SourceKind = SourceKind.WEBSITE,
    *,
    created_at: datetime = T0,
    **fields: object,
) -> Source:
    base = Source(
        id=new_id("src"),
        account_id=account_id,
        agent_id=agent_id,
        kind=kind,
        name="Help centre",
        settings=SourceSettings(
            url="https://shop.example.com/help",
            include_paths=("/help/*",),
            exclude_paths=("/help/old/*",),
            max_pages=200,
            max_depth=2,
        )
        if kind is SourceKind.WEBSITE
        else SourceSettings(),
        schedule=SyncSchedule.OFF,
        created_at=created_at,
        updated_at=created_at,
    )
    return msgspec.structs.replace(base, **fields)


def run(s: Source, status: RunStatus = RunStatus.QUEUED, *, created_at: datetime = T0, **fields: object) -> SourceRun:
    base = SourceRun(
        id=new_id("run"),
        account_id=s.account_id,
        agent_id=s.agent_id,
        source_id=s.id,
        status=status,
        counts=RunCounts(),
        created_at=created_at,
    )
    return msgspec.structs.replace(base, **fields)


async def put(container, *sources: Source) -> None:
    for s in sources:
        async with container.uow()(account_id=s.account_id) as uow:
            await uow.sources.add(s)
            await uow.commit()


async def put_runs(container, *runs: SourceRun) -> None:
    for r in runs:
        async with container.uow()(account_id=r.account_id) as uow:
            await uow.sources.add_run(r)
            await uow.commit()


async def test_a_source_round_trips_with_its_settings(container, owners) -> None:
    (account_id, agent_id), _ = owners
    s = source(
        account_id, agent_id, schedule=SyncSchedule.WEEKLY, next_sync_at=T0 + timedelta(days=7), last_synced_at=T0
    )
    await put(container, s)
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.get(account_id, s.id) == s
        assert await uow.sources.get(account_id, s.id, for_update=True) == s


async def test_an_agent_has_one_upload_source(container, owners) -> None:
    (account_id, agent_id), _ = owners
    first = source(account_id, agent_id, SourceKind.UPLOAD)
    await put(container, first)
    with pytest.raises(Conflict):
        await put(container, source(account_id, agent_id, SourceKind.UPLOAD))
    await put(container, source(account_id, agent_id, SourceKind.URL))  # other kinds: as many as wanted
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.find_upload_source(account_id, agent_id) == first


async def test_sources_list_oldest_first_and_by_kind(container, owners) -> None:
    (account_id, agent_id), _ = owners
    later = source(account_id, agent_id, SourceKind.SITEMAP, created_at=T0 + timedelta(minutes=5))
    earlier = source(account_id, agent_id, SourceKind.WEBSITE, created_at=T0)
    qa = source(account_id, agent_id, SourceKind.QA, created_at=T0 + timedelta(minutes=9))
    await put(container, later, earlier, qa)
    async with container.uow()(account_id=account_id) as uow:
        assert [s.id for s in await uow.sources.list_for_agent(account_id, agent_id)] == [earlier.id, later.id, qa.id]
        assert await uow.sources.list_for_agent(account_id, agent_id, kind=SourceKind.SITEMAP) == [later]
        assert await uow.sources.list_for_agent(account_id, agent_id, kind=SourceKind.UPLOAD) == []


async def test_update_replaces_a_source(container, owners) -> None:
    (account_id, agent_id), _ = owners
    s = source(account_id, agent_id)
    await put(container, s)
    changed = msgspec.structs.replace(
        s,
        name="Docs",
        settings=SourceSettings(url="https://docs.example.com/"),
        last_synced_at=T0 + timedelta(hours=1),
        updated_at=T0 + timedelta(hours=1),
    )
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.update(changed) is True
        assert await uow.sources.update(source(account_id, agent_id)) is False  # not stored
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.get(account_id, s.id) == changed


async def test_documents_are_counted_per_source_and_go_with_it(container, owners) -> None:
    (account_id, agent_id), _ = owners
    site, uploads = source(account_id, agent_id), source(account_id, agent_id, SourceKind.UPLOAD)
    await put(container, site, uploads)
    pages = [document(account_id, agent_id, source_id=site.id, content_hash=f"{i:064x}") for i in range(3)]
    own = document(account_id, agent_id, source_id=uploads.id)
    await add(container, *pages, own)
    async with container.uow()(account_id=account_id) as uow:
        await uow.documents.save_text(account_id, pages[0].id, "page text")
        await uow.commit()
    await put_runs(container, run(site, RunStatus.SUCCEEDED))
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.document_counts(account_id, agent_id) == {site.id: 3, uploads.id: 1}
        assert await uow.sources.delete(account_id, site.id) is True
        assert await uow.sources.delete(account_id, site.id) is False
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.get(account_id, site.id) is None
        assert await uow.sources.list_runs(account_id, site.id, limit=10) == []
        assert [d.id for d in await uow.documents.list_all(account_id, agent_id)] == [own.id]
        assert await uow.documents.get_text(account_id, pages[0].id) is None
        assert await uow.sources.document_counts(account_id, agent_id) == {uploads.id: 1}


async def test_runs_round_trip_newest_first_with_counts_and_failures(container, owners) -> None:
    (account_id, agent_id), _ = owners
    s = source(account_id, agent_id)
    await put(container, s)
    old = run(
        s,
        RunStatus.SUCCEEDED,
        created_at=T0,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=42),
        counts=RunCounts(discovered=10, fetched=9, unchanged=2, updated=7, failed=1, skipped=3, removed=1),
        failures=(
            RunFailure(url="https://shop.example.com/help/x", reason=FailureReason.HTTP_STATUS, detail="HTTP 500"),
        ),
    )
    new = run(s, RunStatus.QUEUED, created_at=T0 + timedelta(days=1))
    await put_runs(container, old, new)
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.get_run(account_id, old.id) == old
        assert old.duration_s == 42.0
        assert await uow.sources.list_runs(account_id, s.id, limit=10) == [new, old]
        assert await uow.sources.list_runs(account_id, s.id, limit=1) == [new]
        assert await uow.sources.active_run(account_id, s.id) == new
        running = msgspec.structs.replace(new, status=RunStatus.RUNNING, counts=RunCounts(discovered=5, fetched=1))
        assert await uow.sources.update_run(running) is True
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.get_run(account_id, new.id) == running


async def test_a_source_has_at_most_one_active_run(container, owners) -> None:
    (account_id, agent_id), _ = owners
    s = source(account_id, agent_id)
    await put(container, s)
    first = run(s, RunStatus.RUNNING)
    await put_runs(container, first)
    with pytest.raises(Conflict):
        await put_runs(container, run(s, RunStatus.QUEUED))
    async with container.uow()(account_id=account_id) as uow:
        await uow.sources.update_run(msgspec.structs.replace(first, status=RunStatus.CANCELLED))
        await uow.commit()
    await put_runs(container, run(s, RunStatus.QUEUED))  # the finished one no longer counts


async def test_due_lists_scheduled_sources_whose_time_came(container, owners) -> None:
    (a1, g1), (a2, g2) = owners
    due_first = source(a2, g2, schedule=SyncSchedule.DAILY, next_sync_at=T0 - timedelta(hours=2))
    due_second = source(a1, g1, schedule=SyncSchedule.WEEKLY, next_sync_at=T0)
    not_yet = source(a1, g1, schedule=SyncSchedule.DAILY, next_sync_at=T0 + timedelta(seconds=1))
    manual = source(a1, g1)
    await put(container, due_first, due_second, not_yet, manual)
    async with container.uow()(account_id=None) as uow:
        assert [s.id for s in await uow.sources.due(T0, 10)] == [due_first.id, due_second.id]
        assert [s.id for s in await uow.sources.due(T0, 1)] == [due_first.id]


async def test_accounts_are_isolated(container, owners) -> None:
    (a1, g1), (a2, g2) = owners
    mine = source(a1, g1)
    await put(container, mine)
    r = run(mine)
    await put_runs(container, r)
    async with container.uow()(account_id=a2) as uow:
        assert await uow.sources.get(a2, mine.id) is None
        assert await uow.sources.get(a1, mine.id) is None  # another tenant's scope hides it
        assert await uow.sources.get_run(a2, r.id) is None
        assert await uow.sources.list_for_agent(a1, g1) == []
        assert await uow.sources.delete(a2, mine.id) is False
        assert await uow.sources.update(msgspec.structs.replace(mine, account_id=a2, agent_id=g2)) is False
    async with container.uow()(account_id=a1) as uow:
        assert await uow.sources.get(a1, mine.id) == mine


async def test_delete_agent_removes_its_sources(container, owners) -> None:
    (account_id, agent_id), _ = owners
    a, b = source(account_id, agent_id), source(account_id, agent_id, SourceKind.UPLOAD)
    await put(container, a, b)
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.delete_agent(account_id, agent_id) == 2
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.list_for_agent(account_id, agent_id) == []


async def test_pages_round_trip_are_replaced_and_go_with_their_document(container, owners) -> None:
    from aioomi.domain.model.sources import SourcePage

    (account_id, agent_id), (other_account, _) = owners
    s = source(account_id, agent_id)
    await put(container, s)
    kept, dropped = (document(account_id, agent_id, source_id=s.id, content_hash=f"{i:064x}") for i in range(2))
    await add(container, kept, dropped)
    page = SourcePage(
        account_id=account_id,
        source_id=s.id,
        url="https://shop.example.com/help/a",
        document_id=kept.id,
        etag='"abc"',
        last_modified="Sun, 01 Mar 2026 09:00:00 GMT",
        links=("https://shop.example.com/help/b",),
        missing_runs=1,
    )
    other = SourcePage(
        account_id=account_id, source_id=s.id, url="https://shop.example.com/help/c", document_id=dropped.id
    )
    async with container.uow()(account_id=account_id) as uow:
        await uow.sources.save_page(page)
        await uow.sources.save_page(other)
        await uow.commit()
    replaced = msgspec.structs.replace(page, etag='"def"', missing_runs=0, links=())
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.pages(account_id, s.id) == {page.url: page, other.url: other}
        await uow.sources.save_page(replaced)
        await uow.documents.delete(account_id, dropped.id)
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.pages(account_id, s.id) == {page.url: replaced}
        with pytest.raises(Conflict):  # a page needs its document
            await uow.sources.save_page(msgspec.structs.replace(page, url="https://x.example/", document_id="doc_x"))
    async with container.uow()(account_id=other_account) as uow:
        assert await uow.sources.pages(account_id, s.id) == {}
        assert await uow.sources.delete_page(account_id, s.id, page.url) is False
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.delete_page(account_id, s.id, page.url) is True
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.pages(account_id, s.id) == {}


async def test_qa_pairs_round_trip_are_replaced_and_go_with_their_document_or_source(container, owners) -> None:
    from aioomi.domain.model.qa_pairs import QaPair

    (account_id, agent_id), (other_account, _) = owners
    qa = source(account_id, agent_id, SourceKind.QA)
    await put(container, qa)
    with pytest.raises(Conflict):  # one qa source per agent
        await put(container, source(account_id, agent_id, SourceKind.QA))
    first, second = (document(account_id, agent_id, source_id=qa.id, content_hash=f"{i:064x}") for i in range(2))
    await add(container, first, second)
    pair = QaPair(
        id=first.id,
        account_id=account_id,
        agent_id=agent_id,
        source_id=qa.id,
        question="Do you ship abroad?",
        answer="Yes, to every EU country.",
        alternatives=("International shipping?", "Do you deliver to Spain?"),
        created_at=T0,
        updated_at=T0,
    )
    later = QaPair(
        id=second.id,
        account_id=account_id,
        agent_id=agent_id,
        source_id=qa.id,
        question="Returns?",
        answer="Within 30 days.",
        created_at=T0 + timedelta(minutes=1),
        updated_at=T0 + timedelta(minutes=1),
    )
    async with container.uow()(account_id=account_id) as uow:
        await uow.sources.save_pair(later)
        await uow.sources.save_pair(pair)
        await uow.commit()
    edited = msgspec.structs.replace(
        pair, answer="Yes, worldwide.", alternatives=(), updated_at=T0 + timedelta(hours=1)
    )
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.list_pairs(account_id, qa.id) == [pair, later]
        assert await uow.sources.get_pair(account_id, pair.id) == pair
        await uow.sources.save_pair(edited)
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.get_pair(account_id, pair.id) == edited
        with pytest.raises(Conflict):  # a pair needs its document
            await uow.sources.save_pair(msgspec.structs.replace(pair, id="doc_missing"))
    async with container.uow()(account_id=other_account) as uow:
        assert await uow.sources.get_pair(account_id, pair.id) is None
        assert await uow.sources.list_pairs(account_id, qa.id) == []
    async with container.uow()(account_id=account_id) as uow:
        await uow.documents.delete(account_id, second.id)
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.list_pairs(account_id, qa.id) == [edited]
        assert await uow.sources.get_pair(account_id, second.id) is None
        assert await uow.sources.delete(account_id, qa.id) is True
        await uow.commit()
    async with container.uow()(account_id=account_id) as uow:
        assert await uow.sources.get_pair(account_id, pair.id) is None
