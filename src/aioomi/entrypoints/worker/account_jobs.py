"""The accounts' jobs: mailing sign-up, reset and verification links out of the request's path."""

from __future__ import annotations

from typing import Any

from aioomi.container import AppContainer
from aioomi.domain.model.accounts import SEND_RESET_LINK_JOB, SEND_SIGN_UP_MAIL_JOB, SEND_VERIFICATION_LINK_JOB
from aioomi.entrypoints.worker.runner import JobHandler


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    async def send_reset_link(payload: dict[str, Any]) -> object:
        return {"sent": await container.send_password_reset_link()(payload["email"])}

    async def send_verification_link(payload: dict[str, Any]) -> object:
        return {"sent": await container.send_verification_link()(payload["email"])}

    async def send_sign_up_mail(payload: dict[str, Any]) -> object:
        return {
            "sent": await container.send_sign_up_mail()(
                payload["account_id"], already_registered=bool(payload["already_registered"])
            )
        }

    return {
        SEND_RESET_LINK_JOB: send_reset_link,
        SEND_VERIFICATION_LINK_JOB: send_verification_link,
        SEND_SIGN_UP_MAIL_JOB: send_sign_up_mail,
    }
