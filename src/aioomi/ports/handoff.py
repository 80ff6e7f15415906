"""The handoff store: a conversation's handoff state and its numbered events, the owner's
inbox, and each agent's handoff settings (inside a unit of work)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.handoff import Handoff, HandoffEvent, HandoffSettings


class HandoffRepository(Protocol):
    """Handoffs, scoped to the unit of work's account; every call names the account too."""

    async def record(
        self,
        session: ChatSession,
        expected_seq: int,
        handoff: Handoff,
        event: HandoffEvent,
        message: ChatMessage | None = None,
    ) -> None:
        """Store the conversation's new handoff state and its event (and the event's message,
        a chat message of the conversation) together, if the stored state still has event
        number ``expected_seq``; otherwise raise
        :class:`~aioomi.domain.model.handoff.HandoffChanged` and store nothing. Concurrent
        changes to one conversation are so applied one at a time, and event numbers follow
        the order in which they become visible."""
        ...

    async def events_after(
        self, account_id: str, session_id: str, after: int, *, limit: int
    ) -> list[tuple[HandoffEvent, ChatMessage | None]]:
        """The conversation's events numbered above ``after``, in order, at most ``limit``, each
        with its message (``None`` for a move)."""
        ...

    async def inbox(self, account_id: str, *, limit: int) -> list[tuple[ChatSession, ChatMessage | None]]:
        """The account's conversations that are waiting or with a person, the longest waiting
        first (by the time a person was asked for, then id), each with its latest message."""
        ...

    async def waiting_since(self, before: datetime, *, limit: int) -> list[ChatSession]:
        """Conversations of every account (a unit of work without an account: the system's
        scope) that have been ``waiting`` since before ``before``, the longest waiting first, at
        most ``limit``: the candidates of the expiry sweep."""
        ...

    async def get_settings(self, account_id: str, agent_id: str) -> HandoffSettings | None:
        """The agent's handoff settings; ``None`` when the owner never set them (defaults apply)."""
        ...

    async def save_settings(self, account_id: str, agent_id: str, settings: HandoffSettings) -> None: ...
