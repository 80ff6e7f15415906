"""Sources of a knowledge base: where its documents come from (uploaded files, single web
addresses, a whole website, a sitemap, question-and-answer pairs), with their settings, their
sync schedule and the record of each sync run.

Every document belongs to one source of its agent. An agent has one ``upload`` source (files
and texts, made when the first one arrives); each single-address document has its own ``url``
source; ``website`` and ``sitemap`` sources own the pages they found.
"""

from __future__ import annotations

import enum
import fnmatch
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import msgspec

from aioomi.domain.model.billing import Plan, PlanLimitReached
from aioomi.domain.model.documents import MAX_URL, DocumentSource
from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound

SOURCE_ID_PREFIX = "src"
RUN_ID_PREFIX = "run"
MAX_SOURCE_NAME = 200
MAX_PATH_PATTERNS = 20
MAX_PATH_PATTERN = 200
MAX_DEPTH_CEILING = 10
DEFAULT_MAX_DEPTH = 3
MAX_RECORDED_FAILURES = 200

# Job kind of a crawl or sync run (the worker maps it to its use case).
SYNC_SOURCE = "sources.sync"


class SourceKind(enum.StrEnum):
    WEBSITE = "website"
    SITEMAP = "sitemap"
    URL = "url"
    UPLOAD = "upload"
    QA = "qa"


WEB_KINDS = frozenset({SourceKind.WEBSITE, SourceKind.SITEMAP, SourceKind.URL})
CRAWLED_KINDS = frozenset({SourceKind.WEBSITE, SourceKind.SITEMAP})


class SyncSchedule(enum.StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


SCHEDULE_PERIOD = {SyncSchedule.DAILY: timedelta(days=1), SyncSchedule.WEEKLY: timedelta(days=7)}
# A source is fresh while its last completed sync is younger than its schedule's period plus
# this grace (the worker needs a little time to get to it); a manual source counts as fresh
# for a week after its last sync.
FRESHNESS_GRACE = timedelta(hours=1)
MANUAL_FRESHNESS = timedelta(days=7)


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_RUN_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


class Freshness(enum.StrEnum):
    NEVER_SYNCED = "never_synced"
    FRESH = "fresh"
    STALE = "stale"


class FailureReason(enum.StrEnum):
    """Why a page was not taken: refused by robots.txt, a content type that is not a document,
    over the size limit, an HTTP error status, not allowed by the address guard, or a fetch
    that failed otherwise (timeout, connection, redirect loop)."""

    ROBOTS = "robots"
    TYPE = "type"
    SIZE = "size"
    HTTP_STATUS = "http_status"
    NOT_ALLOWED = "not_allowed"
    FETCH = "fetch"
    EMPTY = "empty"


class SourceSettings(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What a web source fetches. ``url`` is the start page (website), the sitemap (sitemap)
    or the one address (url). Path patterns are shell-style globs on the URL's path
    (``/docs/*``); a page is taken when it matches an include pattern (or there are none) and
    no exclude pattern. ``max_pages``: the most pages a crawl takes, at most the plan's limit
    (:func:`source_page_limit`); ``None`` takes as many as the plan allows at each run."""

    url: str | None = None
    include_paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    max_pages: int | None = None
    max_depth: int = DEFAULT_MAX_DEPTH
    include_subdomains: bool = False


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """One source of an agent's knowledge base."""

    id: str
    account_id: str
    agent_id: str
    kind: SourceKind
    name: str
    settings: SourceSettings
    schedule: SyncSchedule
    created_at: datetime
    updated_at: datetime
    last_synced_at: datetime | None = None
    next_sync_at: datetime | None = None


class RunCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Pages of one run: ``discovered`` (found and within the settings), ``fetched``
    (answered with content), of those ``unchanged`` and ``updated`` (new or changed),
    ``failed`` (with a reason), ``skipped`` (outside the patterns, depth, page limit or a
    canonical duplicate) and ``removed`` (gone twice in a row, deleted with their chunks).
    ``plan_limited``: of the skipped, the pages left because the account reached its plan's
    document or storage limit (the run then stops fetching new pages)."""

    discovered: int = 0
    fetched: int = 0
    unchanged: int = 0
    updated: int = 0
    failed: int = 0
    skipped: int = 0
    removed: int = 0
    plan_limited: int = 0


class RunFailure(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    reason: FailureReason
    detail: str


class SourceRun(msgspec.Struct, frozen=True, kw_only=True):
    """One sync of a source: its status, counts, failures (the first
    :data:`MAX_RECORDED_FAILURES`) and duration. ``cancel_requested`` stops a running crawl
    at the next page. ``error``: why the run stopped before the end (a plan limit: the run
    still ``succeeded`` with what it took)."""

    id: str
    account_id: str
    agent_id: str
    source_id: str
    status: RunStatus
    counts: RunCounts
    created_at: datetime
    failures: tuple[RunFailure, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested: bool = False
    error: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SourceOverview(msgspec.Struct, frozen=True, kw_only=True):
    """A source as the owner sees it: how many documents it holds, whether it is fresh, and
    its latest run. ``page_limit``: the most pages its next crawl takes (its ``max_pages``
    capped by the plan's limit now); ``None`` for sources that are not crawled."""

    source: Source
    documents: int
    freshness: Freshness
    last_run: SourceRun | None = None
    page_limit: int | None = None


class SourceLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The server's ceiling of a crawl (``AIOOMI_SOURCE_MAX_PAGES``): the pages per source when
    no plan applies, or the plan sets no page limit of its own."""

    max_pages_per_source: int = 500


# --- errors ------------------------------------------------------------------------------------


class SourceNotFound(NotFound):
    code = "source_not_found"
    title = "Source not found"


class RunNotFound(NotFound):
    code = "run_not_found"
    title = "Sync run not found"


class SourceBusy(Conflict):
    """A run of the source is already queued or running."""

    code = "source_sync_in_progress"
    title = "A sync of this source is already in progress"


class SourceKindNotAllowed(InvalidInput):
    code = "source_kind_not_allowed"
    title = "This kind of source cannot be made here"


# --- rules -------------------------------------------------------------------------------------


def source_kind_of(document_source: DocumentSource) -> SourceKind:
    """The kind of source a document added on its own belongs to."""
    return SourceKind.URL if document_source is DocumentSource.URL else SourceKind.UPLOAD


def check_source_name(raw: str | None, fallback: str) -> str:
    name = " ".join((raw or "").split()) or " ".join(fallback.split()) or "Source"
    if len(name) > MAX_SOURCE_NAME:
        if raw is None:
            return name[:MAX_SOURCE_NAME]
        raise InvalidInput(
            f"Use at most {MAX_SOURCE_NAME} characters for the name.", code="invalid_source_name", field="name"
        )
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise InvalidInput("The name contains control characters.", code="invalid_source_name", field="name")
    return name


def check_web_url(url: str | None, field: str = "url") -> str:
    """An ``http(s)://`` address with a host, without credentials (the fetcher checks the
    network it points to)."""
    if not url:
        raise InvalidInput("This kind of source needs a url.", code="invalid_source_url", field=field)
    url = url.strip()
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if (
        len(url) > MAX_URL
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or any(c.isspace() for c in url)
    ):
        raise InvalidInput(
            "Give an http:// or https:// address with a host (no user name or password), of at "
            f"most {MAX_URL} characters.",
            code="invalid_source_url",
            field=field,
        )
    return url


def _check_patterns(patterns: tuple[str, ...], field: str) -> tuple[str, ...]:
    if len(patterns) > MAX_PATH_PATTERNS:
        raise InvalidInput(f"Use at most {MAX_PATH_PATTERNS} patterns.", code="invalid_path_pattern", field=field)
    cleaned = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern.startswith("/") or len(pattern) > MAX_PATH_PATTERN or not pattern.isprintable():
            raise InvalidInput(
                f"A path pattern starts with / and has at most {MAX_PATH_PATTERN} printable "
                "characters (for example /docs/*).",
                code="invalid_path_pattern",
                field=field,
            )
        cleaned.append(pattern)
    return tuple(dict.fromkeys(cleaned))


def source_page_limit(plan: Plan | None, limits: SourceLimits) -> int:
    """The most pages one crawl of a source may take: the plan's ``max_source_pages``; the
    server's ceiling when no plan applies or the plan sets none."""
    if plan is None or plan.max_source_pages is None:
        return limits.max_pages_per_source
    return plan.max_source_pages


def crawl_page_limit(settings: SourceSettings, plan: Plan | None, limits: SourceLimits) -> int:
    """The pages a crawl takes now: the source's ``max_pages`` capped by the limit in force
    (a plan downgraded since the source was set up caps it; nothing is refused)."""
    ceiling = source_page_limit(plan, limits)
    return ceiling if settings.max_pages is None else min(settings.max_pages, ceiling)


def check_settings(
    kind: SourceKind, settings: SourceSettings, limits: SourceLimits, plan: Plan | None = None
) -> SourceSettings:
    """The settings of a source of ``kind``, checked and normalised: web kinds need a URL;
    crawled kinds take patterns, a page count and a depth (0–10); other kinds take nothing.
    A page count above :func:`source_page_limit` is refused: ``plan_limit_reached`` (402) when
    the plan sets it, ``invalid_source_settings`` (422) when the server's ceiling does; no
    page count (``None``) follows the limit at each run."""
    if kind not in WEB_KINDS:
        if settings != SourceSettings():
            raise InvalidInput(f"A {kind} source has no settings.", code="invalid_source_settings", field="settings")
        return settings
    url = check_web_url(settings.url, "settings.url")
    if kind is SourceKind.URL:
        return SourceSettings(url=url, max_depth=0)
    ceiling = source_page_limit(plan, limits)
    max_pages = settings.max_pages
    if max_pages is not None and max_pages < 1:
        raise InvalidInput("max_pages is at least 1.", code="invalid_source_settings", field="settings.max_pages")
    if max_pages is not None and max_pages > ceiling:
        if plan is not None and plan.max_source_pages is not None:
            raise PlanLimitReached(
                f"The {plan.name} plan allows {ceiling:,} pages per source; ask for fewer or upgrade the plan."
            )
        raise InvalidInput(
            f"max_pages is between 1 and {ceiling:,} (the server's limit).",
            code="invalid_source_settings",
            field="settings.max_pages",
        )
    if not 0 <= settings.max_depth <= MAX_DEPTH_CEILING:
        raise InvalidInput(
            f"max_depth is between 0 and {MAX_DEPTH_CEILING}.",
            code="invalid_source_settings",
            field="settings.max_depth",
        )
    return SourceSettings(
        url=url,
        include_paths=_check_patterns(settings.include_paths, "settings.include_paths"),
        exclude_paths=_check_patterns(settings.exclude_paths, "settings.exclude_paths"),
        max_pages=max_pages,
        max_depth=settings.max_depth,
        include_subdomains=settings.include_subdomains,
    )


def check_schedule(kind: SourceKind, schedule: SyncSchedule) -> SyncSchedule:
    if schedule is not SyncSchedule.OFF and kind not in CRAWLED_KINDS:
        raise InvalidInput(
            f"A {kind} source has nothing to sync on a schedule.", code="invalid_schedule", field="schedule"
        )
    return schedule


def path_allowed(path: str, settings: SourceSettings) -> bool:
    """Whether a page's path is within the include patterns (if any) and no exclude pattern."""
    path = path or "/"
    if settings.include_paths and not any(fnmatch.fnmatchcase(path, p) for p in settings.include_paths):
        return False
    return not any(fnmatch.fnmatchcase(path, p) for p in settings.exclude_paths)


def next_sync(schedule: SyncSchedule, after: datetime) -> datetime | None:
    """When a scheduled source syncs next, counted from the end of its last run."""
    period = SCHEDULE_PERIOD.get(schedule)
    return None if period is None else after + period


def freshness(source: Source, now: datetime) -> Freshness:
    """``fresh`` while the last completed sync is younger than the schedule's period (plus
    :data:`FRESHNESS_GRACE`), or :data:`MANUAL_FRESHNESS` for a source without a schedule."""
    if source.last_synced_at is None:
        return Freshness.NEVER_SYNCED
    period = SCHEDULE_PERIOD.get(source.schedule)
    window = MANUAL_FRESHNESS if period is None else period + FRESHNESS_GRACE
    return Freshness.FRESH if now - source.last_synced_at <= window else Freshness.STALE


# --- crawling ----------------------------------------------------------------------------------

# The token a site owner names in robots.txt to allow or block the crawler.
CRAWLER_TOKEN = "AioomiBot"  # noqa: S105 - the robots.txt user-agent token, public
MAX_SITEMAPS = 50
PARALLEL_FETCHES_PER_HOST = 2


class WebPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page as fetched: its final address (after redirects), body, type and validators."""

    url: str
    data: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


class SourcePage(msgspec.Struct, frozen=True, kw_only=True):
    """A page a crawled source holds: the document it became, its validators for conditional
    requests, its links (followed again when it answers 304) and how many consecutive complete
    runs found it gone (404/410, or no longer listed or linked)."""

    account_id: str
    source_id: str
    url: str
    document_id: str
    etag: str | None = None
    last_modified: str | None = None
    links: tuple[str, ...] = ()
    missing_runs: int = 0


# A page found gone on this many consecutive complete runs is removed with its chunks.
GONE_AFTER_RUNS = 2
MAX_STORED_LINKS = 1_000


class ExtractedPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page's main content as Markdown (navigation, footers and banners dropped), its title,
    its ``rel=canonical`` address and the links it holds (absolute)."""

    title: str | None
    text: str
    canonical: str | None = None
    links: tuple[str, ...] = ()


class SitemapContents(msgspec.Struct, frozen=True, kw_only=True):
    pages: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


class PageFailed(InvalidInput):
    """A page that could not be taken, with the reason a run records."""

    code = "page_failed"
    title = "The page could not be taken"

    def __init__(self, reason: FailureReason, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.status = status


def normalise_url(url: str) -> str:
    """The form pages are compared in: scheme and host in lower case, no default port, no
    fragment, ``/`` for an empty path; the query is kept."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    return f"{scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def on_site(url: str, start_url: str, include_subdomains: bool) -> bool:
    """Whether ``url`` is a well-formed http(s) page of the start address's host (or, when asked, of one of
    its subdomains; ``www.`` is ignored on both sides)."""
    try:
        parts, start = urlsplit(url), urlsplit(start_url)
        _ = parts.port, start.port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not start.hostname:
        return False
    host, root = parts.hostname.lower(), start.hostname.lower()
    host, root = host.removeprefix("www."), root.removeprefix("www.")
    return host == root or (include_subdomains and host.endswith("." + root))
