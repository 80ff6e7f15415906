"""SaveHandoffReplyAsQaPair: the owner keeps a reply they wrote as a question-and-answer pair."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import MESSAGE_PREFIX, Role
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.qa_pairs import QaPair, QaPairInput
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.add_qa_pair import AddQaPair
from aioomi.domain.usecases.handoff.support import owner_session
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReplyNotFound(NotFound):
    code = "reply_not_found"
    title = "No such reply in this conversation"


class SaveHandoffReplyAsQaPair:
    """The owner's reply becomes a pair of the agent's question-and-answer source (so the
    assistant can give that answer itself next time).

    Rules: the caller's own conversation (``session_not_found``); the message must be an owner
    reply in it (``reply_not_found``); the question is the one given, or else the visitor's
    last message before the reply, on one line (``question_required`` when there is none);
    then :class:`~aioomi.domain.usecases.add_qa_pair.AddQaPair`'s rules (lengths, a question
    the source already has)."""

    def __init__(self, uow: UnitOfWorkFactory, add_qa_pair: AddQaPair) -> None:
        self._uow = uow
        self._add = add_qa_pair

    async def __call__(
        self, principal: Principal, session_id: str, message_id: str, question: str | None = None
    ) -> QaPair:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            session = await owner_session(uow, principal, session_id)
            messages = await uow.chat_messages.list_for_session(principal.workspace_id, session.id)
        index = next((i for i, m in enumerate(messages) if m.id == message_id and m.role is Role.OWNER), None)
        if not is_id(message_id, MESSAGE_PREFIX) or index is None:
            raise ReplyNotFound("This conversation has no such reply of yours.")
        if question is None:
            asked = next((m.content for m in reversed(messages[:index]) if m.role is Role.USER), None)
            if asked is None:
                raise InvalidInput("Give the question this reply answers.", code="question_required", field="question")
            question = " ".join(asked.split())[:300]
        return await self._add(
            principal, session.agent_id, QaPairInput(question=question, answer=messages[index].content)
        )
