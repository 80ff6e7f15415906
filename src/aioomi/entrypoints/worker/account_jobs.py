"""The accounts' jobs: mailing sign-up, reset and verification links out of the request's path."""

from __future__ import annotations

from aioomi.container import AppContainer
from aioomi.domain.model.accounts import SEND_RESET_LINK_JOB, SEND_SIGN_UP_MAIL_JOB, SEND_VERIFICATION_LINK_JOB
from aioomi.domain.model.job_payloads import EmailPayload, SignUpMailPayload
from aioomi.entrypoints.worker.runner import JobHandler, decoded


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    async def send_reset_link(job: EmailPayload) -> object:
        return {"sent": await container.send_password_reset_link()(job.email)}

    async def send_verification_link(job: EmailPayload) -> object:
        return {"sent": await container.send_verification_link()(job.email)}

    async def send_sign_up_mail(job: SignUpMailPayload) -> object:
        return {"sent": await container.send_sign_up_mail()(job.account_id, already_registered=job.already_registered)}

    return {
        SEND_RESET_LINK_JOB: decoded(EmailPayload, send_reset_link),
        SEND_VERIFICATION_LINK_JOB: decoded(EmailPayload, send_verification_link),
        SEND_SIGN_UP_MAIL_JOB: decoded(SignUpMailPayload, send_sign_up_mail),
    }
