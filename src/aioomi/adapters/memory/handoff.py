"""Handoffs in memory, with the same semantics as the Postgres store: the state on the chat
session, events in their own table, settings per agent."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.adapters.memory.chat import InMemoryChatMessageRepository
from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.handoff import (
    Handoff,
    HandoffChanged,
    HandoffEvent,
    HandoffSettings,
    HandoffState,
    with_handoff,
)


class StoredSettings:
    """A row of the settings table: the agent's account (the tenant scope) and its settings."""

    def __init__(self, account_id: str, settings: HandoffSettings) -> None:
        self.account_id = account_id
        self.settings = settings


class InMemoryHandoffRepository:
    """:class:`aioomi.ports.handoff.HandoffRepository` on :class:`Table`\\ s."""

    def __init__(
        self,
        sessions: Table[ChatSession],
        messages: Table[ChatMessage],
        events: Table[HandoffEvent],
        settings: Table[StoredSettings],
        agents: Table[Agent],
    ) -> None:
        self._sessions = sessions
        self._messages = messages
        self._events = events
        self._settings = settings
        self._agents = agents

    async def record(
        self,
        session: ChatSession,
        expected_seq: int,
        handoff: Handoff,
        event: HandoffEvent,
        message: ChatMessage | None = None,
    ) -> None:
        stored = self._sessions.get(session.id)
        if stored is None or stored.account_id != session.account_id or stored.handoff_seq != expected_seq:
            raise HandoffChanged("The conversation changed meanwhile; try again.")
        if message is not None:
            await InMemoryChatMessageRepository(self._messages, self._sessions).add(message)
        updated = with_handoff(stored, handoff)
        if message is not None:
            updated = msgspec.structs.replace(updated, last_message_at=event.created_at)
        self._sessions.put(session.id, updated)
        self._events.put(f"{event.session_id}:{event.seq}", event)

    async def events_after(
        self, account_id: str, session_id: str, after: int, *, limit: int
    ) -> list[tuple[HandoffEvent, ChatMessage | None]]:
        session = self._sessions.get(session_id)
        if session is None or session.account_id != account_id:
            return []  # the events went with the session
        found = sorted(
            (
                e
                for e in self._events.values()
                if e.account_id == account_id and e.session_id == session_id and e.seq > after
            ),
            key=lambda e: e.seq,
        )[:limit]
        return [(e, self._messages.get(e.message_id) if e.message_id else None) for e in found]

    async def inbox(self, account_id: str, *, limit: int) -> list[tuple[ChatSession, ChatMessage | None]]:
        held = sorted(
            (
                s
                for s in self._sessions.values()
                if s.account_id == account_id and s.handoff is not HandoffState.ASSISTANT
            ),
            key=lambda s: (s.handoff_requested_at is None, s.handoff_requested_at, s.id),
        )[:limit]
        messages = InMemoryChatMessageRepository(self._messages, self._sessions)
        found: list[tuple[ChatSession, ChatMessage | None]] = []
        for s in held:
            mine = await messages.list_for_session(account_id, s.id, last=1)
            found.append((s, mine[-1] if mine else None))
        return found

    async def waiting_since(self, before: datetime, *, limit: int) -> list[ChatSession]:
        waiting = (
            s
            for s in self._sessions.values()
            if s.handoff is HandoffState.WAITING
            and s.handoff_requested_at is not None
            and s.handoff_requested_at < before
        )
        return sorted(waiting, key=lambda s: (s.handoff_requested_at, s.id))[:limit]

    async def get_settings(self, account_id: str, agent_id: str) -> HandoffSettings | None:
        row = self._settings.get(agent_id)
        return row.settings if row is not None and row.account_id == account_id else None

    async def save_settings(self, account_id: str, agent_id: str, settings: HandoffSettings) -> None:
        agent = self._agents.get(agent_id)
        if agent is None or agent.account_id != account_id:
            return
        self._settings.put(agent_id, StoredSettings(account_id, settings))
