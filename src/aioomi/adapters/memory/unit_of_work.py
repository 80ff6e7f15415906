"""Units of work in memory: changes are staged and applied together at commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aioomi.adapters.memory.job_store import InMemoryJobStore
from aioomi.domain.model.jobs import NewJob


class _StagedJobQueue:
    def __init__(self, store: InMemoryJobStore) -> None:
        self._store = store
        self.staged: list[NewJob] = []

    async def enqueue(self, job: NewJob) -> str | None:
        # The id is known only at commit in memory; callers that need it read it from the store.
        self.staged.append(job)
        return None


class InMemoryUnitOfWork:
    """Stages every change and applies it at ``commit``; leaving without commit drops them."""

    def __init__(self, job_store: InMemoryJobStore) -> None:
        self._job_store = job_store

    async def __aenter__(self) -> Self:
        self.jobs = _StagedJobQueue(self._job_store)
        self.committed = False
        return self

    async def commit(self) -> None:
        for job in self.jobs.staged:
            self._job_store.add_now(job)
        self.jobs.staged.clear()
        self.committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.jobs.staged.clear()


class InMemoryUnitOfWorkFactory:
    def __init__(self, job_store: InMemoryJobStore) -> None:
        self._job_store = job_store

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self._job_store)
