"""Settings from environment variables, decoded and validated with msgspec.

Every variable is optional: with none set, Aioomi runs on the embedded PostgreSQL with offline
models. A bad value raises :class:`SettingsError` naming the variable, which the CLI prints as
one line before exiting non-zero.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from aioomi.domain.model.errors import AioomiError


class SettingsError(AioomiError):
    code = "invalid_setting"
    title = "Invalid configuration"

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


PositiveFloat = Annotated[float, msgspec.Meta(gt=0, le=3600)]
PoolSize = Annotated[int, msgspec.Meta(ge=1, le=1000)]

SECRET_FIELDS = frozenset(
    {
        "openai_api_key",
        "stripe_secret_key",
        "stripe_webhook_secret",
        "google_client_secret",
        "smtp_password",
        "metrics_token",
        "rerank_api_key",
    }
)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The whole configuration. Field ``x`` is read from the variable ``ENVIRONMENT[x]``."""

    database_url: str | None = None
    data_dir: str = ".aioomi"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    public_url: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"
    db_pool_min: PoolSize = 1
    db_pool_max: PoolSize = 10
    db_connect_timeout_s: PositiveFloat = 10.0
    db_app_role: str = "aioomi_app"
    worker_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 4
    # Jobs of one account running at once, over every worker (fair scheduling across accounts).
    worker_account_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 2
    worker_poll_s: PositiveFloat = 1.0
    worker_lease_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 60.0
    worker_shutdown_grace_s: PositiveFloat = 30.0
    # Live handoff streams (SSE): how often a stream looks for new events (a short read each
    # time, no connection held in between) and how long one response lasts before the client
    # reconnects with Last-Event-ID.
    handoff_poll_s: PositiveFloat = 1.0
    handoff_stream_max_s: PositiveFloat = 300.0
    session_cookie_secure: Literal["auto", "always", "never"] = "auto"
    # Reverse proxies (comma-separated CIDRs or addresses) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; none by default, so a client cannot claim another IP.
    trusted_proxies: str = ""
    # Bearer token for GET /metrics; unset, /metrics answers 404.
    metrics_token: Annotated[str, msgspec.Meta(min_length=16)] | None = None
    # Minutes after a sign-in (or password re-entry) that account-security operations are allowed.
    reauth_window_min: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 10
    # Knowledge-base limits: per file (bytes at upload; pages and characters once extracted)
    # and per agent; a URL is fetched within the byte limit and url_fetch_timeout_s, from
    # public addresses only, unless in url_fetch_allowed_networks (comma-separated CIDRs).
    document_max_bytes: Annotated[int, msgspec.Meta(ge=1, le=1 << 30)] = 20 * 1024 * 1024
    document_max_pages: Annotated[int, msgspec.Meta(ge=1)] = 1_000
    document_max_chars: Annotated[int, msgspec.Meta(ge=1)] = 2_000_000
    agent_max_documents: Annotated[int, msgspec.Meta(ge=1)] = 500
    agent_max_chars: Annotated[int, msgspec.Meta(ge=1)] = 20_000_000
    url_fetch_timeout_s: PositiveFloat = 10.0
    # Text extraction runs in a child process with these limits (memory, CPU seconds, wall-clock
    # seconds); a file that needs more fails for good with the reason.
    extraction_memory_mb: Annotated[int, msgspec.Meta(ge=64)] = 1024
    extraction_cpu_s: Annotated[int, msgspec.Meta(ge=1)] = 60
    extraction_timeout_s: PositiveFloat = 120.0
    url_fetch_allowed_networks: str = ""
    # Pages one crawl of a website or sitemap source takes when no plan applies or the plan sets no
    # max_source_pages (with a plan, its limit holds; see docs/billing.md).
    source_max_pages: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 500
    # The page the crawler's User-Agent points site owners to.
    crawler_info_url: str = "https://aioomi.dev/crawler"
    smtp_host: str | None = None
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    mail_from: str = "Aioomi <no-reply@localhost>"
    google_issuer: str = "https://accounts.google.com"
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    # Optional reranker (the /rerank API of Cohere, Jina, TEI, vLLM, Infinity): off when unset.
    rerank_url: str | None = None
    rerank_model: str | None = None
    rerank_api_key: str | None = None
    rerank_timeout_s: PositiveFloat = 3.0
    # The reranker score that counts as the relevance gate (relevance 0.5), for 0-1 scores.
    rerank_gate: Annotated[float, msgspec.Meta(gt=0, lt=1)] = 0.5
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    stripe_meter_event_name: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,100}$")] = "aioomi_tokens"
    billing_plans: str | None = None
    billing_grace_days: Annotated[int, msgspec.Meta(ge=0, le=90)] = 7
    # Erasure: days between the request and the purge (the owner may cancel); never beyond 30.
    account_deletion_grace_days: Annotated[int, msgspec.Meta(ge=0, le=30)] = 7
    # Teams: how many workspaces one person may own (their own one included), so that sign-ups
    # cannot create unbounded tenants.
    max_owned_workspaces: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    # With no SMTP relay, e-mails written to the outbox folder are removed after this many days.
    outbox_retention_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 7
    google_client_id: str | None = None
    google_client_secret: str | None = None
    # `aioomi serve` on the embedded database or in memory seeds a demo agent and page (/demo).
    demo: Literal["on", "off"] = "on"

    @property
    def embedded_database(self) -> bool:
        """No ``DATABASE_URL``: run the bundled PostgreSQL in ``data_dir``."""
        return self.database_url is None

    @property
    def pgdata(self) -> Path:
        return Path(self.data_dir) / "pgdata"

    @property
    def blobs_dir(self) -> Path:
        """Where the filesystem blob store keeps documents' original files."""
        return Path(self.data_dir) / "blobs"

    @property
    def outbox_dir(self) -> Path:
        """Where the development mailer keeps messages when no SMTP relay is configured."""
        return Path(self.data_dir) / "outbox"

    @property
    def base_url(self) -> str:
        """The public address people reach Aioomi at (links in e-mails, OAuth redirects)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``trusted_proxies`` parsed (validated by :func:`load_settings`)."""
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False) for item in self.trusted_proxies.split(",") if item.strip()
        )

    @property
    def google_enabled(self) -> bool:
        return bool(self.google_client_id and self.google_client_secret)

    def __repr__(self) -> str:
        shown = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name in SECRET_FIELDS and value is not None:
                value = "***"
            elif name == "database_url" and value is not None:
                value = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", value)
            shown.append(f"{name}={value!r}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__


ENVIRONMENT: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "stripe_secret_key": "STRIPE_SECRET_KEY",
    "stripe_webhook_secret": "STRIPE_WEBHOOK_SECRET",
    "google_client_id": "GOOGLE_CLIENT_ID",
    "google_client_secret": "GOOGLE_CLIENT_SECRET",
} | {
    name: f"AIOOMI_{name.upper()}"
    for name in Settings.__struct_fields__
    if name
    not in {
        "database_url",
        "openai_api_key",
        "openai_base_url",
        "stripe_secret_key",
        "stripe_webhook_secret",
        "google_client_id",
        "google_client_secret",
    }
}

_FIELD_IN_ERROR = re.compile(r"at `\$\.(\w+)`")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read, decode and validate the settings; raise :class:`SettingsError` on the first bad one."""
    env = os.environ if environ is None else environ
    raw = {name: env[var] for name, var in ENVIRONMENT.items() if env.get(var, "").strip() != ""}
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as error:
        match = _FIELD_IN_ERROR.search(str(error))
        field = match[1] if match else ""
        problem = str(error).split(" - at ")[0]
        raise SettingsError(ENVIRONMENT.get(field, "configuration"), problem) from None
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if settings.database_url is not None and not re.match(r"^postgres(ql)?://", settings.database_url):
        raise SettingsError(
            "DATABASE_URL", "must be a postgresql:// URL (for example postgresql://user@host:5432/aioomi)"
        )
    for name in ("public_url", "openai_base_url", "google_issuer", "stripe_api_base", "rerank_url"):
        value = getattr(settings, name)
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise SettingsError(ENVIRONMENT[name], "must be an http:// or https:// URL")
    try:
        settings.trusted_proxy_networks  # noqa: B018 - parsing the property is the check
    except ValueError as error:
        raise SettingsError("AIOOMI_TRUSTED_PROXIES", f"must be comma-separated IP networks (CIDR): {error}") from None
    if settings.db_pool_min > settings.db_pool_max:
        raise SettingsError("AIOOMI_DB_POOL_MIN", "must not exceed AIOOMI_DB_POOL_MAX")
    if settings.billing_plans is not None:
        from aioomi.domain.model.billing import parse_plans

        try:
            parse_plans(settings.billing_plans)
        except ValueError as error:
            raise SettingsError(
                "AIOOMI_BILLING_PLANS", f"must be a JSON list of plans including 'free': {error}"
            ) from None
