"""A retry with the same Idempotency-Key after a failed answer asks the model again."""

from __future__ import annotations

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.domain.model.agents import AnswerMode
from aioomi.domain.model.chat import MessageStatus, Role, TurnDone, TurnFailed
from aioomi.domain.usecases.answer_chat import ChatCaller
from tests.unit.chat_support import VISITOR, ListSearch, account, agent_for, answer_chat, store

CALLER = ChatCaller(visitor_id=VISITOR)


async def test_a_retry_after_a_failed_answer_asks_the_model_again_without_a_second_question(memory_container):
    owner = account()
    agent = agent_for(owner, answer_mode=AnswerMode.ASSISTED)
    await store(memory_container, owner, agent)
    model = ScriptedChatModel(reply=lambda r: "one two three")
    chat = answer_chat(memory_container, model, ListSearch())
    first = await chat(agent, CALLER, "Earlier question")
    await first.collect()

    model.cut_after = 1
    failed = await chat(agent, CALLER, "Shipping times?", session_id=first.session_id, idempotency_key="k-9")
    _, final, _ = await failed.collect()
    assert isinstance(final, TurnFailed)

    retry = await chat(agent, CALLER, "Shipping times?", session_id=first.session_id, idempotency_key="k-9")
    text, final, _ = await retry.collect()

    assert isinstance(final, TurnDone) and text == "one two three"
    assert retry.message_id == failed.message_id and len(model.requests) == 3
    # the model saw the earlier turn as history and the question once, not the failed attempt
    assert [(m.role, m.content) for m in model.requests[2].messages[1:]] == [
        (Role.USER, "Earlier question"),
        (Role.ASSISTANT, "one two three"),
        (Role.USER, "Shipping times?"),
    ]
    async with memory_container.uow()(account_id=owner.id) as uow:
        stored = await uow.chat_messages.list_for_session(owner.id, first.session_id)
    assert [(m.role, m.content, m.status) for m in stored] == [
        (Role.USER, "Earlier question", MessageStatus.COMPLETE),
        (Role.ASSISTANT, "one two three", MessageStatus.COMPLETE),
        (Role.USER, "Shipping times?", MessageStatus.COMPLETE),
        (Role.ASSISTANT, "one two three", MessageStatus.COMPLETE),
    ]
    assert stored[3].error_code is None and stored[3].id == failed.message_id

    # once complete, the same key replays it without calling the model
    again = await chat(agent, CALLER, "Shipping times?", session_id=first.session_id, idempotency_key="k-9")
    text, final, _ = await again.collect()
    assert text == "one two three" and isinstance(final, TurnDone) and len(model.requests) == 3
