"""What the source use cases share: finding the owner's source and run, and the source a
document added on its own belongs to."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.documents import Document
from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.sources import (
    RUN_ID_PREFIX,
    SOURCE_ID_PREFIX,
    SYNC_SOURCE,
    RunCounts,
    RunNotFound,
    RunStatus,
    Source,
    SourceBusy,
    SourceKind,
    SourceKindNotAllowed,
    SourceNotFound,
    SourceRun,
    SourceSettings,
    SyncSchedule,
    check_source_name,
    source_kind_of,
)
from aioomi.ports.unit_of_work import UnitOfWork

UPLOAD_SOURCE_NAME = "Uploaded files and texts"


async def find_own_source(
    uow: UnitOfWork, principal: Principal, agent: Agent, source_id: str, *, for_update: bool = False
) -> Source:
    """The agent's source, or :class:`SourceNotFound` (also for another agent's or account's)."""
    source = None
    if is_id(source_id, SOURCE_ID_PREFIX):
        source = await uow.sources.get(principal.workspace_id, source_id, for_update=for_update)
    if source is None or source.agent_id != agent.id:
        raise SourceNotFound("No such source.")
    return source


async def find_own_run(uow: UnitOfWork, principal: Principal, source: Source, run_id: str) -> SourceRun:
    run = None
    if is_id(run_id, RUN_ID_PREFIX):
        run = await uow.sources.get_run(principal.workspace_id, run_id)
    if run is None or run.source_id != source.id:
        raise RunNotFound("No such run of this source.")
    return run


async def source_for_document(uow: UnitOfWork, document: Document, now: datetime) -> str:
    """The id of the source a document added on its own joins: the agent's single ``upload``
    source for a file or a text (made on first use), a new ``url`` source for an address."""
    kind = source_kind_of(document.source)
    if kind is SourceKind.UPLOAD:
        existing = await uow.sources.find_upload_source(document.account_id, document.agent_id)
        if existing is not None:
            return existing.id
        name, settings = UPLOAD_SOURCE_NAME, SourceSettings()
    else:
        name = check_source_name(None, document.source_url or document.title)
        settings = SourceSettings(url=document.source_url, max_depth=0)
    source = Source(
        id=new_id(SOURCE_ID_PREFIX),
        account_id=document.account_id,
        agent_id=document.agent_id,
        kind=kind,
        name=name,
        settings=settings,
        schedule=SyncSchedule.OFF,
        created_at=now,
        updated_at=now,
        last_synced_at=now if kind is SourceKind.URL else None,
    )
    await uow.sources.add(source)
    return source.id


async def refuse_qa_document(uow: UnitOfWork, document: Document) -> None:
    """A Q&A pair's document is changed as a pair (its question, answer and alternatives are kept
    with it), never directly: :class:`SourceKindNotAllowed`."""
    if document.source_id is None:
        return
    source = await uow.sources.get(document.account_id, document.source_id)
    if source is not None and source.kind is SourceKind.QA:
        raise SourceKindNotAllowed("This document is a Q&A pair: edit it as a pair (…/qa-pairs/{id}).")


async def drop_url_source(uow: UnitOfWork, document: Document) -> None:
    """A single-address source lives and dies with its one document."""
    if document.source_id is None:
        return
    source = await uow.sources.get(document.account_id, document.source_id)
    if source is not None and source.kind is SourceKind.URL:
        await uow.sources.delete(document.account_id, source.id)


async def start_run(uow: UnitOfWork, source: Source, now: datetime) -> SourceRun:
    """Record a queued run of ``source`` and enqueue its job, in the caller's unit of work;
    :class:`SourceBusy` when one is already queued or running."""
    if await uow.sources.active_run(source.account_id, source.id) is not None:
        raise SourceBusy("A sync of this source is already queued or running; cancel it or wait for it to end.")
    run = SourceRun(
        id=new_id(RUN_ID_PREFIX),
        account_id=source.account_id,
        agent_id=source.agent_id,
        source_id=source.id,
        status=RunStatus.QUEUED,
        counts=RunCounts(),
        created_at=now,
    )
    await uow.sources.add_run(run)
    await uow.jobs.enqueue(
        NewJob(
            kind=SYNC_SOURCE,
            max_attempts=3,
            dedupe_key=f"{SYNC_SOURCE}:{run.id}",
            payload={"account_id": run.account_id, "source_id": run.source_id, "run_id": run.id},
        )
    )
    return run
