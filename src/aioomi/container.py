"""The composition root: the one place where adapters are wired into use cases.

Two variants expose the same provider names, so entry points and tests use either:
:class:`PostgresContainer` (production and the embedded default) and :class:`MemoryContainer`
(``aioomi serve --memory`` and unit tests). Anything with an async ``start``/``stop`` that must
run around the process's life is listed in ``lifecycle``.
"""

from __future__ import annotations

from typing import Protocol

from dependency_injector import containers, providers

from aioomi.adapters.local.system_clock import SystemClock
from aioomi.adapters.memory.chunk_store import InMemoryChunkStore
from aioomi.adapters.memory.job_store import InMemoryJobStore
from aioomi.adapters.memory.store_status import InMemoryStoreStatusProbe
from aioomi.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from aioomi.adapters.postgres.chunk_store import PostgresChunkStore
from aioomi.adapters.postgres.database import PostgresDatabase
from aioomi.adapters.postgres.job_store import PostgresJobStore
from aioomi.adapters.postgres.store_status import PostgresStoreStatusProbe
from aioomi.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from aioomi.domain.usecases.check_readiness import CheckReadiness
from aioomi.domain.usecases.purge_finished_jobs import PurgeFinishedJobs
from aioomi.settings import Settings


class Lifecycle(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PostgresContainer(containers.DeclarativeContainer):
    """Everything on PostgreSQL with pgvector."""

    settings = providers.Dependency(instance_of=Settings)
    conninfo = providers.Dependency(instance_of=str)
    apply_migrations = providers.Object(True)

    clock = providers.Singleton(SystemClock)
    database = providers.Singleton(
        PostgresDatabase,
        conninfo=conninfo,
        min_size=settings.provided.db_pool_min,
        max_size=settings.provided.db_pool_max,
        timeout_s=settings.provided.db_connect_timeout_s,
        apply_migrations=apply_migrations,
    )
    lifecycle = providers.List(database)

    uow = providers.Singleton(PostgresUnitOfWorkFactory, pool=database.provided.pool)
    job_store = providers.Singleton(PostgresJobStore, pool=database.provided.pool)
    chunk_store = providers.Singleton(PostgresChunkStore, pool=database.provided.pool)
    store_status = providers.Singleton(PostgresStoreStatusProbe, pool=database.provided.pool)

    check_readiness = providers.Factory(CheckReadiness, probe=store_status)
    purge_finished_jobs = providers.Factory(PurgeFinishedJobs, jobs=job_store, clock=clock)


class MemoryContainer(containers.DeclarativeContainer):
    """Everything in process memory: no database at all. Data is gone when the process ends."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    lifecycle = providers.List()

    job_store = providers.Singleton(InMemoryJobStore, clock=clock)
    chunk_store = providers.Singleton(InMemoryChunkStore)
    uow = providers.Singleton(InMemoryUnitOfWorkFactory, job_store=job_store)
    store_status = providers.Singleton(InMemoryStoreStatusProbe)

    check_readiness = providers.Factory(CheckReadiness, probe=store_status)
    purge_finished_jobs = providers.Factory(PurgeFinishedJobs, jobs=job_store, clock=clock)


AppContainer = PostgresContainer | MemoryContainer


async def start(container: AppContainer) -> None:
    """Start every lifecycle resource, in order."""
    for resource in container.lifecycle():
        await resource.start()


async def stop(container: AppContainer) -> None:
    """Stop every lifecycle resource, in reverse order."""
    for resource in reversed(container.lifecycle()):
        await resource.stop()
