"""The handoff's jobs: the owner's e-mail when a visitor asks for a person, and the sweep that
expires waiting conversations no one took in time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aioomi.container import AppContainer
from aioomi.domain.model.job_payloads import NotifyOwnerPayload
from aioomi.domain.usecases.handoff.support import NOTIFY_OWNER_JOB
from aioomi.entrypoints.worker.runner import JobHandler, PeriodicTask, decoded

EXPIRE_STALE_HANDOFFS = "handoff.expire_stale"


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    async def notify_owner(job: NotifyOwnerPayload) -> object:
        return {"mail": await container.notify_owner_of_handoff()(job.account_id, job.session_id)}

    async def expire_stale(_: dict[str, Any]) -> object:
        return {"expired": await container.expire_stale_handoffs()()}

    return {NOTIFY_OWNER_JOB: decoded(NotifyOwnerPayload, notify_owner), EXPIRE_STALE_HANDOFFS: expire_stale}


# Every 30 s, the shortest maximum wait an owner may set: a conversation expires at most one
# period after its wait ran out, read or not.
PERIODIC = (PeriodicTask(kind=EXPIRE_STALE_HANDOFFS, every=timedelta(seconds=30)),)
