"""The chat stores (sessions and messages, inside a unit of work), and the one thing a chat
turn needs from the knowledge base: passages relevant to a question."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatMessage, ChatSession, Passage, SessionSummary
from aioomi.domain.model.chat_turn import TurnQuery, TurnState
from aioomi.domain.model.documents import KnowledgeBase, KnowledgeBaseTotals
from aioomi.domain.model.pagination import PageKey


class ChatSessionRepository(Protocol):
    """Chat sessions, scoped to the unit of work's account; every call names the account too."""

    async def add(self, session: ChatSession) -> None: ...

    async def get(self, account_id: str, session_id: str) -> ChatSession | None: ...

    async def get_with_recent(
        self,
        account_id: str,
        session_id: str,
        *,
        last: int,
    ) -> tuple[ChatSession | None, list[ChatMessage]]:
        """The session and its last ``last`` messages in order (none when there is no such
        session), in one round trip: a chat turn needs both."""
        ...

    async def get_with_recent_and_keyed(
        self,
        account_id: str,
        session_id: str,
        *,
        last: int,
        idempotency_key: str,
    ) -> tuple[ChatSession | None, list[ChatMessage], tuple[ChatMessage, ChatMessage | None] | None]:
        """As :meth:`get_with_recent` (``last`` 0: no messages), and the message sent with
        ``idempotency_key`` in the session with its reply (``None`` when the key is new), in one
        round trip: a chat turn with an Idempotency-Key needs them all."""
        ...

    async def touch(self, account_id: str, session_id: str, at: datetime) -> None:
        """Record a message at ``at`` (the session's last-message time)."""
        ...

    async def list_for_visitor(
        self, account_id: str, agent_id: str, visitor_id: str, *, limit: int
    ) -> list[ChatSession]:
        """The visitor's sessions with the agent, newest first (by creation time, then id)."""
        ...

    async def list_for_agent(
        self,
        account_id: str,
        agent_id: str,
        *,
        limit: int,
        after: PageKey | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ChatSession]:
        """The agent's sessions created in ``[since, until)``, newest first (creation time,
        then id), starting right after ``after``."""
        ...

    async def delete(self, account_id: str, session_id: str) -> bool:
        """Remove the session and all its messages (hard delete); False if there is none."""
        ...


class ChatMessageRepository(Protocol):
    """Chat messages, scoped to the unit of work's account."""

    async def add(self, message: ChatMessage) -> None:
        """Insert; raises :class:`~aioomi.domain.model.errors.Conflict` when the session already
        has a message with the same idempotency key."""
        ...

    async def update(self, message: ChatMessage) -> bool:
        """Replace the stored message of the same id (content, status, citations, usage)."""
        ...

    async def save(self, message: ChatMessage) -> None:
        """As :meth:`update` when the caller needs no answer: in a unit of work that defers
        writes it is held back and sent with the commit (one round trip for the answer's update,
        its usage entry and the commit); a message that is not the account's is left as it is."""
        ...

    async def get(self, account_id: str, message_id: str) -> ChatMessage | None: ...

    async def list_for_session(self, account_id: str, session_id: str, *, last: int | None = None) -> list[ChatMessage]:
        """The session's messages in order (creation time, then id); with ``last``, only the
        ``last`` newest, still in order."""
        ...

    async def find_by_idempotency_key(self, account_id: str, session_id: str, key: str) -> ChatMessage | None:
        """The visitor's message sent with ``key`` in this session, if any."""
        ...

    async def summaries(self, account_id: str, session_ids: list[str]) -> dict[str, SessionSummary]:
        """For each of the account's sessions named, its first visitor message (clipped to 200
        characters) and its number of messages; sessions without messages are left out."""
        ...

    async def find_reply(self, account_id: str, message_id: str) -> ChatMessage | None:
        """The answer to the message ``message_id``, if any."""
        ...


class ChatTurnReader(Protocol):
    """A chat turn's read before it answers, in one piece (on the unit of work: its scope)."""

    async def read(self, query: TurnQuery) -> TurnState:
        """Count ``query.hits`` (committed whatever the turn does next, as the rate limiter's
        own hits are; they share its counters), then read what ``query`` asks for: one round
        trip where the store is remote. Works in a read-only unit of work: the counters are
        the one write it lets through, sent before the batch turns read-only."""
        ...


class PassageSearch(Protocol):
    """The knowledge base seen from a chat turn: the passages of the agent's documents that
    best answer ``query``, best first (hybrid dense + lexical retrieval), at most ``top_k``,
    only those whose relevance (0–1) reaches ``min_relevance``. ``agent``: the agent, when the
    caller holds it (it is then not read again); ``knowledge``: its knowledge base and totals,
    when the caller read them (a chat turn, with its one read), likewise."""

    async def __call__(
        self,
        *,
        account_id: str,
        agent_id: str,
        query: str,
        top_k: int,
        min_relevance: float,
        agent: Agent | None = None,
        knowledge: tuple[KnowledgeBase | None, KnowledgeBaseTotals] | None = None,
    ) -> Sequence[Passage]: ...
