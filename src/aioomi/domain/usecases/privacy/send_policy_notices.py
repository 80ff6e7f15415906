"""The SendPolicyNotices use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.mail import EmailMessage
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory

NOTICE_BATCH = 200


class SendPolicyNotices:
    """The worker's half: e-mail every account (not being deleted) about each published version
    whose notices are not all sent, in batches, resuming after the last account notified (a
    crash resends at most one batch)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, base_url: str, batch: int = NOTICE_BATCH
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")
        self._batch = batch

    async def __call__(self) -> int:
        sent = 0
        async with self._uow(account_id=None) as uow:
            pending = [v for v in await uow.privacy.list_policy_versions() if v.notices_sent_at is None]
        for version in pending:
            while True:
                async with self._uow(account_id=None) as uow:
                    ids = await uow.privacy.accounts_to_notify(version.notices_after, self._batch)
                    accounts = [a for a in [await uow.accounts.get(i) for i in ids] if a is not None]
                for account in accounts:
                    await self._mailer.send(
                        EmailMessage(
                            to=account.email,
                            kind="policy_change",
                            subject=f"Aioomi's privacy policy changes on {version.effective_on:%Y-%m-%d}",
                            text=(
                                f"Hello {account.full_name},\n\nWe are updating our privacy policy. The new version "
                                f"takes effect on {version.effective_on:%Y-%m-%d}.\n\n{version.summary}\n\n"
                                f"Read and accept it at {self._base_url}/dashboard/account.\n"
                            ),
                        )
                    )
                    sent += 1
                done = len(ids) < self._batch
                version = msgspec.structs.replace(
                    version,
                    notices_after=ids[-1] if ids else version.notices_after,
                    notices_sent=version.notices_sent + len(accounts),
                    notices_sent_at=self._clock.now() if done else None,
                )
                async with self._uow(account_id=None) as uow:
                    await uow.privacy.save_policy_version(version)
                    await uow.commit()
                if done:
                    break
        return sent
