"""The CheckProcessingAllowed use case."""

from __future__ import annotations

from aioomi.domain.usecases.privacy.support import processing_allowed
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CheckProcessingAllowed:
    """Whether the worker may process the workspace's data (ingestion sends it to OpenAI): only
    while it serves (``workspace_status``: at least one owner active). Restricted documents stay queued; lifting re-queues them."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, account_id: str) -> bool:
        async with self._uow(account_id=account_id) as uow:
            return await processing_allowed(uow, account_id)
