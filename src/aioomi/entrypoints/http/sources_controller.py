"""The sources of an agent's knowledge base over HTTP: list, read, rename or re-configure, delete
(with their documents), and their sync runs."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from aioomi.domain.model.sources import SourceKind, SyncSchedule
from aioomi.domain.usecases.cancel_source_run import CancelSourceRun
from aioomi.domain.usecases.create_source import CreateSource
from aioomi.domain.usecases.delete_source import DeleteSource
from aioomi.domain.usecases.get_source import GetSource
from aioomi.domain.usecases.list_sources import ListSources
from aioomi.domain.usecases.sources.get_source_run import GetSourceRun
from aioomi.domain.usecases.sources.list_source_runs import ListSourceRuns
from aioomi.domain.usecases.sync_source import SyncSource
from aioomi.domain.usecases.update_source import UpdateSource
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_sources import (
    RunList,
    RunOut,
    SourceCreate,
    SourceList,
    SourceOut,
    SourceUpdate,
)

Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE, description="Runs to list, newest first (1 to 100)")]


class SourceController(Controller):
    path = "/api/v1/agents/{agent_id:str}/sources"
    tags = ["sources"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/",
        summary="The knowledge base's sources, with their documents, freshness and latest run",
        responses=problems(401, 403, 404),
    )
    async def list_sources(
        self, list_sources: NamedDependency[ListSources], principal: NamedDependency[Principal], agent_id: FromPath[str]
    ) -> SourceList:
        return SourceList(data=[SourceOut.of(o) for o in await list_sources(principal, agent_id)])

    @post(
        "/",
        status_code=202,
        summary="Add a website or sitemap source; its first crawl is queued",
        responses=problems(400, 401, 402, 403, 404, 422),
    )
    async def create_source(
        self,
        create_source: NamedDependency[CreateSource],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[SourceCreate],
    ) -> Response[SourceOut]:
        overview = await create_source(
            principal, agent_id, SourceKind(data.kind), data.settings.domain(), name=data.name
        )
        return Response(
            SourceOut.of(overview),
            status_code=202,
            headers={"Location": f"/api/v1/agents/{agent_id}/sources/{overview.source.id}"},
        )

    @post(
        "/{source_id:str}/sync",
        status_code=202,
        summary="Sync a website or sitemap source now",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def sync_source(
        self,
        sync_source: NamedDependency[SyncSource],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        source_id: FromPath[str],
    ) -> RunOut:
        return RunOut.of(await sync_source(principal, agent_id, source_id))

    @post(
        "/{source_id:str}/runs/{run_id:str}/cancel",
        status_code=200,
        summary="Cancel a queued or running sync; pages already complete stay",
        responses=problems(401, 403, 404),
    )
    async def cancel_run(
        self,
        cancel_source_run: NamedDependency[CancelSourceRun],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        source_id: FromPath[str],
        run_id: FromPath[str],
    ) -> RunOut:
        return RunOut.of(await cancel_source_run(principal, agent_id, source_id, run_id))

    @get("/{source_id:str}", summary="One source", responses=problems(401, 403, 404))
    async def get_source(
        self,
        get_source: NamedDependency[GetSource],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        source_id: FromPath[str],
    ) -> SourceOut:
        return SourceOut.of(await get_source(principal, agent_id, source_id))

    @patch(
        "/{source_id:str}",
        summary="Rename a source, change a web source's settings or its sync schedule",
        responses=problems(400, 401, 402, 403, 404, 422),
    )
    async def update_source(
        self,
        update_source: NamedDependency[UpdateSource],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        source_id: FromPath[str],
        data: JSONBody[SourceUpdate],
    ) -> SourceOut:
        overview = await update_source(
            principal,
            agent_id,
            source_id,
            name=None if data.name is msgspec.UNSET else data.name,
            settings=None if data.settings is msgspec.UNSET else data.settings.domain(),
            schedule=None if data.schedule is msgspec.UNSET else SyncSchedule(data.schedule),
        )
        return SourceOut.of(overview)

    @delete(
        "/{source_id:str}",
        status_code=204,
        summary="Delete a source with its documents, their chunks, embeddings and files",
        responses=problems(401, 403, 404),
    )
    async def delete_source(
        self,
        delete_source: NamedDependency[DeleteSource],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        source_id: FromPath[str],
    ) -> None:
        await delete_source(principal, agent_id, source_id)

    @get(
        "/{source_id:str}/runs",
        summary="The source's sync runs, newest first: counts, failures, duration",
        responses=problems(401, 403, 404),
    )
    async def list_runs(
        self,
        list_source_runs: NamedDependency[ListSourceRuns],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        source_id: FromPath[str],
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> RunList:
        runs = await list_source_runs(principal, agent_id, source_id, limit=limit)
        return RunList(data=[RunOut.of(r) for r in runs])

    @get(
        "/{source_id:str}/runs/{run_id:str}",
        summary="One sync run with its progress",
        responses=problems(401, 403, 404),
    )
    async def get_run(
        self,
        get_source_run: NamedDependency[GetSourceRun],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        source_id: FromPath[str],
        run_id: FromPath[str],
    ) -> RunOut:
        return RunOut.of(await get_source_run(principal, agent_id, source_id, run_id))
