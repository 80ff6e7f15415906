"""Liveness and readiness probes for load balancers and orchestrators; the metrics endpoint's guard."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler

from aioomi import __version__
from aioomi.domain.model.health import NotReady
from aioomi.domain.model.secrets import same_secret
from aioomi.domain.usecases.check_readiness import CheckReadiness
from aioomi.entrypoints.http.problems import problem_spec


class Liveness(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    version: str


class DatabaseReadiness(msgspec.Struct, frozen=True, kw_only=True):
    backend: str
    vector_version: str | None
    applied_migrations: int
    pending_migrations: list[str]


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    version: str
    database: DatabaseReadiness


class HealthController(Controller):
    tags = ["operations"]
    include_in_schema = True

    @get("/healthz", summary="Liveness: the process is up", opt={"exclude_from_metrics": True})
    async def liveness(self) -> Liveness:
        return Liveness(status="ok", version=__version__)

    @get(
        "/readyz",
        summary="Readiness: the database is reachable, migrated and has pgvector",
        responses={503: problem_spec("Not ready: the database is unreachable, not migrated or lacks pgvector.")},
    )
    async def readiness(self, check_readiness: NamedDependency[CheckReadiness]) -> Readiness:
        status = await check_readiness()
        if not status.ready:
            reason = (
                "the database is unreachable"
                if not status.reachable
                else f"migrations pending: {', '.join(status.pending_migrations)}"
                if status.pending_migrations
                else "the vector extension is not installed"
            )
            raise NotReady(f"Not ready: {reason}.")
        return Readiness(
            status="ready",
            version=__version__,
            database=DatabaseReadiness(
                backend=status.backend,
                vector_version=status.vector_version,
                applied_migrations=status.applied_migrations,
                pending_migrations=list(status.pending_migrations),
            ),
        )


def metrics_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """``/metrics`` only for ``Authorization: Bearer <AIOOMI_METRICS_TOKEN>``; with no token
    configured the endpoint does not exist (404), so nothing about the traffic leaks."""
    token = connection.app.state.container.settings().metrics_token
    if token is None:
        raise NotFoundException("No resource at this address.")
    scheme, _space, sent = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not same_secret(sent.strip(), token):
        raise NotAuthorizedException(
            "Send `Authorization: Bearer <AIOOMI_METRICS_TOKEN>`.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
