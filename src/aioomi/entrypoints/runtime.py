"""Choosing and opening the runtime shape: embedded PostgreSQL, a given DATABASE_URL, or memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import structlog

from aioomi.adapters.postgres.embedded import EmbeddedPostgres
from aioomi.adapters.postgres.errors import describe_conninfo
from aioomi.settings import Settings

if TYPE_CHECKING:
    from aioomi.container import AppContainer

log = structlog.get_logger("aioomi")


@contextmanager
def database_conninfo(settings: Settings) -> Iterator[str]:
    """``DATABASE_URL`` if set; otherwise start the embedded server for the block's duration."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.pgdata)
    conninfo = embedded.start()
    log.info("embedded PostgreSQL started", data_dir=str(settings.pgdata.resolve()))
    try:
        yield conninfo
    finally:
        embedded.stop()
        log.info("embedded PostgreSQL stopped")


@contextmanager
def open_container(settings: Settings, *, memory: bool = False) -> Iterator[AppContainer]:
    """The container for this process; its lifecycle resources are not started yet."""
    # Imported here: the container pulls in every adapter (SDKs, models), which `aioomi migrate`,
    # `--version` and a configuration error have no use for.
    from aioomi.container import container_in_memory, container_on_postgres

    if memory:
        yield container_in_memory(settings=settings)
        return
    with database_conninfo(settings) as conninfo:
        log.debug("database", at=describe_conninfo(conninfo))
        yield container_on_postgres(settings=settings, conninfo=conninfo)
