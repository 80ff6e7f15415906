"""ReplyToHandoff: the owner writes to the visitor."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import MESSAGE_PREFIX, ChatMessage, Role, check_message
from aioomi.domain.model.handoff import HandoffEvent, HandoffNotActive, HandoffState
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.handoff.support import owner_session, post_message, retrying
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReplyToHandoff:
    """The owner's reply, stored in the conversation as a message of role ``owner``.

    Rules: 1–4,000 characters, no control characters; the caller's own conversation
    (``session_not_found``); only once taken, ``with_human`` (``handoff_not_active``: take
    it first); a ``message`` event carries it to the visitor. It is part of the conversation:
    in exports, erased with it, and under the chat retention."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, session_id: str, content: str) -> tuple[HandoffEvent, ChatMessage]:
        ensure_permitted(principal, Permission.HANDLE_HANDOFFS)
        text = check_message(content)

        async def attempt() -> tuple[HandoffEvent, ChatMessage]:
            now = self._clock.now()
            async with self._uow(account_id=principal.workspace_id) as uow:
                session = await owner_session(uow, principal, session_id)
                if session.handoff is not HandoffState.WITH_HUMAN:
                    raise HandoffNotActive("Take the conversation before replying.")
                message = ChatMessage(
                    id=new_id(MESSAGE_PREFIX),
                    account_id=session.account_id,
                    agent_id=session.agent_id,
                    session_id=session.id,
                    role=Role.OWNER,
                    content=text,
                    created_at=now,
                )
                event = await post_message(uow, session, message, now)
                await uow.commit()
            return event, message

        return await retrying(attempt)
