"""The curated-answer settings store (CuratedSettingsRepository on the unit of work), on memory
and on Postgres: settings per agent, replaced, never another account's; the turn's look-up finds
the agent's pairs among the documents retrieved, and nothing of another agent or account."""

from __future__ import annotations

from datetime import UTC, datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat_turn import TurnQuery
from aioomi.domain.model.curated import CuratedMode, CuratedSettings
from aioomi.domain.model.qa_pairs import QaPairInput
from tests.contract.test_chat_store_contract import owners  # noqa: F401 - fixtures


async def test_settings_are_stored_per_agent_and_replaced(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    async with container.uow()(account_id=mine) as uow:
        assert await uow.curated_settings.get(mine, my_agent.id) is None
        await uow.curated_settings.put(mine, my_agent.id, CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.7))
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        await uow.curated_settings.put(mine, my_agent.id, CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.65))
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.curated_settings.get(mine, my_agent.id) == CuratedSettings(
            mode=CuratedMode.DIRECT, threshold=0.65
        )
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.curated_settings.get(theirs, my_agent.id) is None
        assert await uow.curated_settings.get(theirs, their_agent.id) is None


async def test_the_turns_lookup_finds_only_the_agents_own_pairs(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    pair = await container.add_qa_pair()(
        Principal.own(account_id=mine), my_agent.id, QaPairInput(question="Opening hours?", answer="9 to 5.")
    )
    theirs_pair = await container.add_qa_pair()(
        Principal.own(account_id=theirs), their_agent.id, QaPairInput(question="Opening hours?", answer="Never.")
    )
    async with container.uow()(account_id=mine) as uow:
        await uow.curated_settings.put(mine, my_agent.id, CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.7))
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        settings, pairs = await uow.curated_settings.lookup(mine, my_agent.id, [pair.id, theirs_pair.id, "doc_plain"])
    assert settings == CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.7)
    assert [(p.id, p.answer) for p in pairs] == [(pair.id, "9 to 5.")]
    async with container.uow()(account_id=theirs) as uow:
        settings, pairs = await uow.curated_settings.lookup(theirs, their_agent.id, [pair.id])
    assert (settings, pairs) == (None, [])
    async with container.uow()(account_id=mine) as uow:
        assert await uow.curated_settings.lookup(mine, my_agent.id, []) == (
            CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.7),
            [],
        )


async def test_the_turns_one_read_brings_the_settings_and_whether_the_agent_has_a_pair(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners

    async def outlook(account_id: str, agent_id: str):
        async with container.uow()(account_id=account_id, read_only=True) as uow:
            state = await uow.chat_turns.read(
                TurnQuery(account_id=account_id, agent_id=agent_id, now=datetime.now(UTC), curated=True)
            )
        return state.curated_settings, state.has_pairs

    assert await outlook(mine, my_agent.id) == (None, False)
    await container.add_qa_pair()(
        Principal.own(account_id=theirs), their_agent.id, QaPairInput(question="Opening hours?", answer="Never.")
    )
    assert await outlook(mine, my_agent.id) == (None, False)  # another account's pair is not mine
    await container.add_qa_pair()(
        Principal.own(account_id=mine), my_agent.id, QaPairInput(question="Opening hours?", answer="9 to 5.")
    )
    async with container.uow()(account_id=mine) as uow:
        await uow.curated_settings.put(mine, my_agent.id, CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.7))
        await uow.commit()
    assert await outlook(mine, my_agent.id) == (CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.7), True)
    async with container.uow()(account_id=mine, read_only=True) as uow:  # not asked: not read
        state = await uow.chat_turns.read(TurnQuery(account_id=mine, agent_id=my_agent.id, now=datetime.now(UTC)))
    assert (state.curated_settings, state.has_pairs) == (None, None)
