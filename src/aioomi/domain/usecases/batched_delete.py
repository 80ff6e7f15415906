"""The one loop of every sweep: delete a batch at a time until a batch comes back short."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


async def delete_in_batches(step: Callable[[], Awaitable[int]], batch: int) -> int:
    """Run ``step`` (it removes at most ``batch`` rows and returns how many) until it removes
    fewer than ``batch``; the total removed. Small batches keep each transaction and lock short."""
    total = 0
    while True:
        removed = await step()
        total += removed
        if removed < batch:
            return total


def in_own_transaction(
    uow: UnitOfWorkFactory, step: Callable[[UnitOfWork], Awaitable[int]]
) -> Callable[[], Awaitable[int]]:
    """``step`` run in a system-scope unit of work of its own, committed after each batch."""

    async def run() -> int:
        async with uow(account_id=None) as unit:
            removed = await step(unit)
            await unit.commit()
        return removed

    return run
