"""How many round trips to Postgres a widget chat turn makes before its first token (issue 15).

Every statement the server sends outside pipeline mode waits for its answer: one round trip.
In pipeline mode, statements are sent together and the client waits at each Sync (the end of a
pipeline block, nested blocks included — a ``transaction()`` inside a pipeline syncs on entering
and leaving —, or a fetch before the results came): one round trip each. The counter below
counts exactly that, on every connection of the process (the app's pool, the rate
limiter's, the chunk store's), and the chat model notes the count when it is asked to stream:
what the visitor waits for before the first token; and the whole turn (after the last token). Only the statements of the request's own
tasks are counted (a context variable set around it), not the process's background work. The real pipeline runs on the real
Postgres: widget key, origin, limits, allowance, session and history, the hybrid search over an
uploaded document indexed by the real worker, the relevance gate, titles, the message writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import psycopg
from dependency_injector import providers
from psycopg._pipeline_base import BasePipeline

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.adapters.postgres.chat_turns import PostgresChatTurnReader
from aioomi.domain.model.chat import ChatChunk, ChatRequest
from tests.integration.accounts_support import serve
from tests.integration.chat_support import read_sse
from tests.integration.test_grounded_chat import (
    ORIGIN,
    RETURNS_DOC,
    VISITOR,
    agent_with_documents,
    ask,
    new_session,
    text_of,
)

# The turn's round trips before the first token, counted by hand from the code (docs/chat.md,
# "Round trips before the first token"). Read-only units of work send no BEGIN and no end (each
# batch is one implicit transaction carrying the tenant scope); the writes go with the COMMIT:
#   widget key and the owner's account status in one read                                  1
#   the turn's one read (ChatTurnReader): the five rate-limit counters (sent first, before
#   the batch turns read-only), the allowance, the session with its recent history, the
#   knowledge base and its totals for the search (the agent is not read again), the
#   curated-answer settings and whether the agent has any Q&A pair                          1
#   the hybrid search statement with its settings (one implicit transaction, no BEGIN), the
#   hits' titles joined in                                                                   1
#   curated answers (issue 19): the Q&A pairs among the retrieved documents — only when the
#   agent has a pair and a passage reaches the threshold; this agent has none               0
#   the message writes: visitor's message, answer, session touch and COMMIT, together       1
BEFORE_FIRST_TOKEN = 1 + 1 + 1 + 0 + 1
# The shipped widget sends an Idempotency-Key with every message: the replay check before the
# limits (the session and the key's message with its reply, one pipelined read: 1); the turn's
# own read brings the key's message with the session and the history, in the same one read.
WITH_IDEMPOTENCY_KEY = BEFORE_FIRST_TOKEN + 1
# After the last token: the answer's update, its usage entry and counters, the webhook outbox
# and COMMIT, held back and sent together.
AFTER_LAST_TOKEN = 1


COUNTING: ContextVar[bool] = ContextVar("counting_round_trips", default=False)


@dataclass
class RoundTrips:
    count: int = 0
    at_first_token: list[int] = field(default_factory=list)


@contextmanager
def counting_round_trips(monkeypatch) -> Iterator[RoundTrips]:
    trips = RoundTrips()
    execute = psycopg.AsyncCursor.execute
    executemany = psycopg.AsyncCursor.executemany
    enqueue_sync = BasePipeline._enqueue_sync
    fetch_pipeline = psycopg.AsyncCursor._fetch_pipeline

    async def counted_execute(self, *args, **kwargs):
        if COUNTING.get() and self.connection._pipeline is None:
            trips.count += 1
        return await execute(self, *args, **kwargs)

    async def counted_executemany(self, *args, **kwargs):
        if COUNTING.get() and self.connection._pipeline is None:
            trips.count += 1
        return await executemany(self, *args, **kwargs)

    def counted_sync(self, *args, **kwargs):
        # Every Sync a pipeline sends is waited for at once (the end of a block, nested ones
        # included, or entering a nested block with statements queued): one round trip.
        if COUNTING.get():
            trips.count += 1
        return enqueue_sync(self, *args, **kwargs)

    async def counted_fetch_pipeline(self, *args, **kwargs):
        # A fetch inside a pipeline block before its results came: a flush, waited for.
        if COUNTING.get() and self._conn._pipeline and not self.pgresult:
            trips.count += 1
        return await fetch_pipeline(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", counted_execute)
    monkeypatch.setattr(psycopg.AsyncCursor, "executemany", counted_executemany)
    monkeypatch.setattr(BasePipeline, "_enqueue_sync", counted_sync)
    monkeypatch.setattr(psycopg.AsyncCursor, "_fetch_pipeline", counted_fetch_pipeline)
    yield trips


class NotingModel(ScriptedChatModel):
    """A scripted model that notes the round trips counted so far when asked to answer."""

    def __init__(self, trips: RoundTrips) -> None:
        super().__init__(reply=lambda request: "Within 30 days [1].")
        self.trips = trips

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        self.trips.at_first_token.append(self.trips.count)
        async for chunk in super().stream(request):
            yield chunk


async def turn_round_trips(pg_conninfo, tmp_path, monkeypatch) -> tuple[int, int, int]:
    """A widget turn's round trips: before its first token, the whole turn, and before the first
    token of a turn sent with an Idempotency-Key."""
    with counting_round_trips(monkeypatch) as trips:
        model = NotingModel(trips)

        def configure(container) -> None:
            container.chat_model.override(providers.Object(model))

        async with serve("postgres", tmp_path / "aioomi", pg_conninfo, configure=configure) as app:
            _, agent, _ = await agent_with_documents(app, ("returns.md", RETURNS_DOC), min_relevance=0.0)
            session_id = await new_session(app, agent)
            # A first turn warms the pool (new connections are configured with statements of
            # their own) and gives the second turn a history to read.
            await ask(app, agent, session_id, "How many days do I have to return a kettle?")

            trips.count = 0
            token = COUNTING.set(True)
            try:
                events = await ask(app, agent, session_id, "How fast do refunds reach my card?")
            finally:
                COUNTING.reset(token)
            before_first_token, whole = trips.at_first_token[-1], trips.count

            trips.count = 0
            token = COUNTING.set(True)
            try:
                keyed = await app.client.post(
                    f"/api/v1/widget/{agent['public_key']}/sessions/{session_id}/messages",
                    headers={"origin": ORIGIN, "x-visitor-id": VISITOR, "idempotency-key": "turn-3"},
                    json={"content": "Can I return a kettle after a month?"},
                )
            finally:
                COUNTING.reset(token)
            with_key = trips.at_first_token[-1]

    assert text_of(events) == "Within 30 days [1]."
    assert keyed.status_code == 200 and text_of(read_sse(keyed.text)) == "Within 30 days [1]."
    print(
        f"round trips before the first token: {before_first_token} (whole turn: {whole}); "
        f"with an Idempotency-Key: {with_key}"
    )
    return before_first_token, whole, with_key


async def test_a_widget_turn_makes_at_most_the_counted_round_trips_before_its_first_token(
    pg_conninfo, tmp_path, monkeypatch
):
    before_first_token, whole, with_key = await turn_round_trips(pg_conninfo, tmp_path, monkeypatch)
    assert before_first_token <= BEFORE_FIRST_TOKEN
    assert with_key <= WITH_IDEMPOTENCY_KEY
    assert whole - before_first_token <= AFTER_LAST_TOKEN


async def test_the_counter_sees_one_round_trip_more(pg_conninfo, tmp_path, monkeypatch):
    """The budget bites: the turn's read followed by one more statement of its own (a round
    trip) puts the count one over the budget."""
    read = PostgresChatTurnReader.read

    async def read_then_one_more(self, query):
        state = await read(self, query)
        await self._conn.execute("SELECT 1")
        return state

    monkeypatch.setattr(PostgresChatTurnReader, "read", read_then_one_more)
    before_first_token, _, with_key = await turn_round_trips(pg_conninfo, tmp_path, monkeypatch)
    assert before_first_token == BEFORE_FIRST_TOKEN + 1
    assert with_key == WITH_IDEMPOTENCY_KEY + 1
