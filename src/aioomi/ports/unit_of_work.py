"""One transaction per use case."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from aioomi.ports.job_queue import JobQueue


class UnitOfWork(Protocol):
    """A transaction and the repositories that work inside it.

    Use it as ``async with uow_factory() as uow: ...; await uow.commit()``. Leaving the block
    without ``commit`` rolls everything back, including enqueued jobs.
    """

    jobs: JobQueue

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every change of this unit of work durable at once."""
        ...


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work."""

    def __call__(self) -> UnitOfWork: ...
