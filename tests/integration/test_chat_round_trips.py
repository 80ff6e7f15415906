"""How many round trips to Postgres a widget chat turn makes before its first token (issue 15).

Every statement the server sends outside pipeline mode waits for its answer: one round trip.
A pipeline block sends its statements together and waits once: one round trip. The counter
below counts exactly that, on every connection of the process (the app's pool, the rate
limiter's, the chunk store's), and the chat model notes the count when it is asked to stream:
what the visitor waits for before the first token. Only the statements of the request's own
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

from aioomi.adapters.memory.chat_model import ScriptedChatModel
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
# "Round trips before the first token"):
#   widget key and the owner's account status in one read, the end of that transaction     2
#   the five rate-limit counters, one statement                                              1
#   the allowance; the session with its recent history (one pipelined read; the owner is
#   not read again); the end                                                                 3
#   the search's knowledge base and totals in one read (the agent is not read again), end  2
#   the hybrid search statement with its transaction, the hits' titles joined in            1
#   the message writes: visitor's message, answer, session touch, COMMIT                     4
#   curated answers (issue 19): the agent's settings and its Q&A pairs among the retrieved
#   documents, one pipelined read, and its end (only when a passage carries a relevance)     2
BEFORE_FIRST_TOKEN = 2 + 1 + 3 + 2 + 1 + 4 + 2
# The shipped widget sends an Idempotency-Key with every message: the replay check before the
# limits (session, key look-up, end: 3) and the older path in the turn's read (session, key
# look-up, history instead of one pipelined read: 2 more).
WITH_IDEMPOTENCY_KEY = BEFORE_FIRST_TOKEN + 3 + 2


COUNTING: ContextVar[bool] = ContextVar("counting_round_trips", default=False)


@dataclass
class RoundTrips:
    count: int = 0
    at_first_token: list[int] = field(default_factory=list)


@contextmanager
def counting_round_trips(monkeypatch) -> Iterator[RoundTrips]:  # noqa: ANN001
    trips = RoundTrips()
    execute = psycopg.AsyncCursor.execute
    executemany = psycopg.AsyncCursor.executemany
    pipeline_exit = psycopg.AsyncPipeline.__aexit__

    async def counted_execute(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if COUNTING.get() and self.connection._pipeline is None:
            trips.count += 1
        return await execute(self, *args, **kwargs)

    async def counted_executemany(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if COUNTING.get() and self.connection._pipeline is None:
            trips.count += 1
        return await executemany(self, *args, **kwargs)

    async def counted_pipeline_exit(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if COUNTING.get() and self.level == 1:  # the outermost block: its statements are sent and answered together
            trips.count += 1
        return await pipeline_exit(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", counted_execute)
    monkeypatch.setattr(psycopg.AsyncCursor, "executemany", counted_executemany)
    monkeypatch.setattr(psycopg.AsyncPipeline, "__aexit__", counted_pipeline_exit)
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


async def test_a_widget_turn_makes_at_most_the_counted_round_trips_before_its_first_token(
        pg_conninfo, tmp_path, monkeypatch):
    with counting_round_trips(monkeypatch) as trips:
        model = NotingModel(trips)

        def configure(container) -> None:  # noqa: ANN001
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
                    json={"content": "Can I return a kettle after a month?"})
            finally:
                COUNTING.reset(token)
            with_key = trips.at_first_token[-1]

        assert text_of(events) == "Within 30 days [1]."
        assert keyed.status_code == 200 and text_of(read_sse(keyed.text)) == "Within 30 days [1]."
        print(f"round trips before the first token: {before_first_token} (whole turn: {whole}); "
              f"with an Idempotency-Key: {with_key}")
        assert before_first_token <= BEFORE_FIRST_TOKEN
        assert with_key <= WITH_IDEMPOTENCY_KEY
