"""The sweep that expires waiting conversations no one took in time, on memory and on Postgres:
the store lists the candidates across accounts, and ExpireStaleHandoffs sends back to the
assistant exactly those past their own agent's maximum wait, read or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aioomi.domain.model.handoff import HandoffAction, HandoffEventKind, HandoffSettings, HandoffState
from aioomi.domain.usecases.handoff.expire_stale_handoffs import ExpireStaleHandoffs
from tests.contract.test_handoff_store_contract import act, new_session, owners, reload

__all__ = ["owners"]  # the fixture, shared with the handoff store contract


async def test_waiting_since_lists_waiting_conversations_of_every_account_longest_first(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    mine_early, theirs_mid, mine_late, taken = (
        await new_session(container, my_agent),
        await new_session(container, their_agent),
        await new_session(container, my_agent),
        await new_session(container, my_agent),
    )
    await act(container, mine_early, HandoffAction.REQUEST, t0)
    await act(container, theirs_mid, HandoffAction.REQUEST, t0 + timedelta(minutes=1))
    await act(container, mine_late, HandoffAction.REQUEST, t0 + timedelta(minutes=10))
    await act(container, taken, HandoffAction.REQUEST, t0)
    await act(container, await reload(container, taken), HandoffAction.TAKE, t0 + timedelta(seconds=5))
    ours = {mine_early.id, theirs_mid.id, mine_late.id, taken.id}

    async with container.uow()(account_id=None, read_only=True) as uow:
        found = [s.id for s in await uow.handoffs.waiting_since(t0 + timedelta(minutes=5), limit=1000) if s.id in ours]
        first = await uow.handoffs.waiting_since(t0 + timedelta(minutes=5), limit=1)
    # two accounts, the longest waiting first; not the one waiting since after the cut, nor the taken one
    assert found == [mine_early.id, theirs_mid.id]
    assert len(first) == 1


async def test_the_sweep_expires_only_conversations_past_their_own_agent_s_wait(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    now = datetime.now(UTC)
    async with container.uow()(account_id=theirs) as uow:  # their agent waits up to an hour
        await uow.handoffs.save_settings(theirs, their_agent.id, HandoffSettings(enabled=True, max_wait_s=3_600))
        await uow.commit()
    # my agent keeps the default wait of 300 s
    stale, fresh, patient = (
        await new_session(container, my_agent),
        await new_session(container, my_agent),
        await new_session(container, their_agent),
    )
    await act(container, stale, HandoffAction.REQUEST, now - timedelta(seconds=301))
    await act(container, fresh, HandoffAction.REQUEST, now - timedelta(seconds=60))
    await act(container, patient, HandoffAction.REQUEST, now - timedelta(seconds=1_200))

    expired = await ExpireStaleHandoffs(container.uow(), container.clock())()

    assert expired >= 1  # other tests' leftovers on a shared database may expire too
    assert (await reload(container, stale)).handoff is HandoffState.ASSISTANT
    assert (await reload(container, fresh)).handoff is HandoffState.WAITING
    assert (await reload(container, patient)).handoff is HandoffState.WAITING
    async with container.uow()(account_id=mine, read_only=True) as uow:
        events = await uow.handoffs.events_after(mine, stale.id, 0, limit=10)
    assert [e.kind for e, _ in events] == [HandoffEventKind.REQUESTED, HandoffEventKind.EXPIRED]
    # a second run finds nothing more of ours to do
    await ExpireStaleHandoffs(container.uow(), container.clock())()
    assert (await reload(container, fresh)).handoff is HandoffState.WAITING
