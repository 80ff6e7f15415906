"""The ObjectToProcessing use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.privacy import (
    PrivacyState,
    RightsAction,
)
from aioomi.domain.usecases.privacy.support import _own_account, record
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ObjectToProcessing:
    """Art. 21: object to processing based on legitimate interests (usage analytics beyond what
    billing needs), or withdraw the objection.

    Rules: while objecting, the account's API requests are logged without account or IP (the
    request log is then only operational, not analytics about the owner), existing rows are
    anonymised at once and a sweep keeps it so; the token ledger stays (billing needs it).
    Idempotent and audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, records: OperationalRecords) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records

    async def __call__(self, principal: Principal, *, objecting: bool) -> PrivacyState:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
            if objecting and state.objected_at is None:
                state = msgspec.structs.replace(state, objected_at=now)
                await record(uow, account.id, RightsAction.OBJECTED, now, scope="usage_analytics")
            elif not objecting and state.objected_at is not None:
                state = msgspec.structs.replace(state, objected_at=None)
                await record(uow, account.id, RightsAction.OBJECTION_WITHDRAWN, now, scope="usage_analytics")
            await uow.privacy.save_state(state)
            await uow.commit()
        if objecting:
            await self._records.anonymize_request_log([principal.account_id])
        return state
