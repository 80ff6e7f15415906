"""ExpireStaleHandoffs: send back to the assistant the conversations no one took in time (a
periodic worker task)."""

from __future__ import annotations

from datetime import timedelta

from aioomi.domain.model.handoff import MIN_WAIT_S, HandoffState
from aioomi.domain.usecases.handoff.support import expire_if_stale, settings_of
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory

BATCH = 200


class ExpireStaleHandoffs:
    """Expire every waiting conversation past its agent's maximum wait, whether or not anyone
    reads it.

    Rules:
    - the same expiry as when the visitor's stream or the owner's inbox reads the conversation
      (an ``expired`` event, the ``handoff.ended`` webhook with reason ``expired``): reading is no
      longer needed for it to happen, so a webhook consumer learns of it within a sweep period;
    - candidates are conversations waiting longer than the shortest wait an agent may set, oldest
      first, at most :data:`BATCH` a run; each is checked against its own agent's setting and
      changed in its own account's unit of work; a conversation someone took meanwhile is left
      as it is (the stored state wins);
    - returns how many conversations were expired.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self) -> int:
        now = self._clock.now()
        async with self._uow(account_id=None, read_only=True) as uow:
            candidates = await uow.handoffs.waiting_since(now - timedelta(seconds=MIN_WAIT_S), limit=BATCH)
        expired = 0
        for session in candidates:
            async with self._uow(account_id=session.account_id, read_only=True) as uow:
                settings = await settings_of(uow, session.account_id, session.agent_id)
            after = await expire_if_stale(self._uow, session, settings, now)
            if after.handoff is HandoffState.ASSISTANT:
                expired += 1
        return expired
