"""The owner writes the right answer to a question a visitor asked: it becomes a Q&A pair."""

from __future__ import annotations

from collections.abc import Sequence

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import MESSAGE_PREFIX, Role
from aioomi.domain.model.feedback import FeedbackNotAllowed, MessageNotFound
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.qa_pairs import QaPair, QaPairInput
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.add_qa_pair import AddQaPair
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class FixAnswer:
    """Turn an answer of a conversation into a curated answer.

    Rules:
    - the message is one of the agent's answers (``message_not_found`` for anything else,
      another account's included); a visitor's own message is ``feedback_not_allowed``; the
      question is the visitor's message it answered (``message_not_found`` when it is gone);
    - the owner's answer and any other phrasings (for example a question group's variants)
      become a pair of the agent's question-and-answer source, with :class:`AddQaPair`'s rules
      (lengths, at most 10 phrasings, duplicates and the question itself dropped,
      ``qa_question_exists`` for a question the source has).
    """

    def __init__(self, uow: UnitOfWorkFactory, add_pair: AddQaPair) -> None:
        self._uow = uow
        self._add_pair = add_pair

    async def __call__(
        self, principal: Principal, agent_id: str, message_id: str, answer: str, alternatives: Sequence[str] = ()
    ) -> QaPair:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            message = (
                await uow.chat_messages.get(principal.workspace_id, message_id)
                if is_id(message_id, MESSAGE_PREFIX)
                else None
            )
            if message is None or message.agent_id != agent.id:
                raise MessageNotFound("No such answer of this agent.")
            if message.role is not Role.ASSISTANT:
                raise FeedbackNotAllowed("Choose the assistant's answer to fix, not the visitor's message.")
            asked = await uow.chat_messages.get(principal.workspace_id, message.reply_to) if message.reply_to else None
        if asked is None:
            raise MessageNotFound("The question this answer replied to is gone.")
        return await self._add_pair(
            principal, agent.id, QaPairInput(question=asked.content, answer=answer, alternatives=tuple(alternatives))
        )
