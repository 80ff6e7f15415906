"""The handoff's job: the owner's e-mail when a visitor asks for a person."""

from __future__ import annotations

from aioomi.container import AppContainer
from aioomi.domain.model.job_payloads import NotifyOwnerPayload
from aioomi.domain.usecases.handoff.support import NOTIFY_OWNER_JOB
from aioomi.entrypoints.worker.runner import JobHandler, decoded


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    async def notify_owner(job: NotifyOwnerPayload) -> object:
        return {"mail": await container.notify_owner_of_handoff()(job.account_id, job.session_id)}

    return {NOTIFY_OWNER_JOB: decoded(NotifyOwnerPayload, notify_owner)}
