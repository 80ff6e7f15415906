"""The ObjectToProcessing use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.privacy import (
    PrivacyState,
    RightsAction,
)
from aioomi.domain.usecases.privacy.support import _own_account, quiet_request_logs, record
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ObjectToProcessing:
    """Art. 21: object to processing based on legitimate interests (usage analytics beyond what
    billing needs), or withdraw the objection.

    Rules: the request log names a workspace (and keeps the IP) only while one of its owners is
    active and has neither objected nor restricted (``request_log_may_name``); so once every
    owner of a workspace objects, its API requests are logged without workspace or IP (the
    request log is then only operational, not analytics), its existing rows are anonymised at
    once and a sweep keeps it so; the token ledger stays (billing needs it). Idempotent and
    audited.
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
            await quiet_request_logs(self._uow, self._records, principal.account_id)
        return state
