"""The handoff's job: the owner's e-mail when a visitor asks for a person."""

from __future__ import annotations

from typing import Any

from aioomi.container import AppContainer
from aioomi.domain.usecases.handoff.support import NOTIFY_OWNER_JOB
from aioomi.entrypoints.worker.runner import JobHandler


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    async def notify_owner(payload: dict[str, Any]) -> object:
        return {"mail": await container.notify_owner_of_handoff()(payload["account_id"], payload["session_id"])}

    return {NOTIFY_OWNER_JOB: notify_owner}
