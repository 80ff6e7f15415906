"""Request and response bodies of the knowledge-base sources API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from aioomi.domain.model.documents import MAX_URL
from aioomi.domain.model.sources import (
    MAX_DEPTH_CEILING,
    MAX_PATH_PATTERN,
    MAX_PATH_PATTERNS,
    MAX_SOURCE_NAME,
    RunCounts,
    RunFailure,
    SourceOverview,
    SourceRun,
    SourceSettings,
)

Pattern = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PATH_PATTERN)]


class SourceSettingsIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a website or sitemap source fetches. Path patterns are shell-style globs on the
    path (`/docs/*`)."""

    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL)] | None = None
    include_paths: Annotated[list[Pattern], msgspec.Meta(max_length=MAX_PATH_PATTERNS)] = []
    exclude_paths: Annotated[list[Pattern], msgspec.Meta(max_length=MAX_PATH_PATTERNS)] = []
    max_pages: Annotated[int, msgspec.Meta(ge=1)] | None = None
    max_depth: Annotated[int, msgspec.Meta(ge=0, le=MAX_DEPTH_CEILING)] = 3
    include_subdomains: bool = False

    def domain(self) -> SourceSettings:
        return SourceSettings(
            url=self.url,
            include_paths=tuple(self.include_paths),
            exclude_paths=tuple(self.exclude_paths),
            max_pages=self.max_pages,
            max_depth=self.max_depth,
            include_subdomains=self.include_subdomains,
        )


class SourceCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A website (crawled from `settings.url` by links) or a sitemap (`settings.url` is the
    sitemap or sitemap index)."""

    kind: Literal["website", "sitemap"]
    settings: SourceSettingsIn
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SOURCE_NAME)] | None = None


class SourceUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SOURCE_NAME)] | msgspec.UnsetType = msgspec.UNSET
    settings: SourceSettingsIn | msgspec.UnsetType = msgspec.UNSET
    schedule: Literal["off", "daily", "weekly"] | msgspec.UnsetType = msgspec.UNSET


class SourceSettingsOut(msgspec.Struct, frozen=True, kw_only=True):
    url: str | None
    include_paths: list[str]
    exclude_paths: list[str]
    max_pages: int | None
    max_depth: int
    include_subdomains: bool

    @classmethod
    def of(cls, s: SourceSettings) -> SourceSettingsOut:
        return cls(
            url=s.url,
            include_paths=list(s.include_paths),
            exclude_paths=list(s.exclude_paths),
            max_pages=s.max_pages,
            max_depth=s.max_depth,
            include_subdomains=s.include_subdomains,
        )


class RunFailureOut(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    reason: str
    detail: str

    @classmethod
    def of(cls, f: RunFailure) -> RunFailureOut:
        return cls(url=f.url, reason=str(f.reason), detail=f.detail)


class RunOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    source_id: str
    status: str
    counts: RunCounts
    failures: list[RunFailureOut]
    cancel_requested: bool
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None

    @classmethod
    def of(cls, r: SourceRun) -> RunOut:
        return cls(
            id=r.id,
            source_id=r.source_id,
            status=str(r.status),
            counts=r.counts,
            failures=[RunFailureOut.of(f) for f in r.failures],
            cancel_requested=r.cancel_requested,
            error=r.error,
            created_at=r.created_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            duration_s=r.duration_s,
        )


class RunList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[RunOut]


class SourceOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    agent_id: str
    kind: str
    name: str
    settings: SourceSettingsOut
    schedule: str
    documents: int
    freshness: str
    last_synced_at: datetime | None
    next_sync_at: datetime | None
    last_run: RunOut | None
    created_at: datetime
    updated_at: datetime
    page_limit: int | None = None
    """The pages the next crawl takes: `settings.max_pages` capped by the plan's limit in force
    (the server's without a plan); null for upload, url and qa sources."""

    @classmethod
    def of(cls, o: SourceOverview) -> SourceOut:
        s = o.source
        return cls(
            id=s.id,
            agent_id=s.agent_id,
            kind=str(s.kind),
            name=s.name,
            settings=SourceSettingsOut.of(s.settings),
            schedule=str(s.schedule),
            documents=o.documents,
            freshness=str(o.freshness),
            last_synced_at=s.last_synced_at,
            next_sync_at=s.next_sync_at,
            last_run=None if o.last_run is None else RunOut.of(o.last_run),
            created_at=s.created_at,
            updated_at=s.updated_at,
            page_limit=o.page_limit,
        )


class SourceList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[SourceOut]
