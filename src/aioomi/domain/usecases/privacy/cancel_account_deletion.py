"""The CancelAccountDeletion use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import AccountStatus, InvalidToken
from aioomi.domain.model.privacy import (
    RightsAction,
)
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.privacy.support import record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CancelAccountDeletion:
    """During the grace period the e-mailed link undoes the deletion: the account returns to
    its previous status (sessions and API keys stay revoked: sign in again)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, token: str) -> AccountStatus:
        """The account's status now (``restricted`` when it was restricted before)."""
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            state = await uow.privacy.find_by_cancel_token(hash_token(token))
            account = await uow.accounts.get(state.account_id) if state else None
            if (
                state is None
                or account is None
                or state.purge_after is None
                or state.purge_after <= now
                or account.status is not AccountStatus.DELETION_PENDING
            ):
                raise InvalidToken("This link is invalid or the deletion can no longer be cancelled.", field="token")
            status = AccountStatus.RESTRICTED if state.status_before_deletion == "restricted" else AccountStatus.ACTIVE
            await uow.privacy.save_state(
                msgspec.structs.replace(
                    state,
                    deletion_requested_at=None,
                    purge_after=None,
                    cancel_token_hash=None,
                    status_before_deletion=None,
                )
            )
            await uow.accounts.update(account.cancel_deletion(status, now))
            await record(uow, account.id, RightsAction.DELETION_CANCELLED, now)
            await uow.commit()
        return status
