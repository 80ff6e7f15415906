"""Platform overhead of a chat turn: from the widget's POST to the first SSE token, with a
zero-latency model and embedder, on Postgres with a 100,000-chunk knowledge base of natural
text (SciFact sentences recombined, bench/_scifact.py; questions are SciFact claims).

The app runs in a uvicorn process of its own (access log off, log level warning); the load
client (httpx) runs in this process. p50/p99 at 1, 8 and 32 concurrent turns. The floor,
measured in the same run against the same database: the database work a turn must do, sent
bare through psycopg on one connection per concurrent turn (agent by public key with its
owner's status; the five rate-limit upserts in one statement; quota counters; the session and
its recent messages; the same hybrid-search SQL the chunk store sends and the documents'
titles; the two message inserts and the session touch), pipelined as the product sends them
now (four round trips: key, the turn's read, the search, the writes with COMMIT), then after
the "first token" the answer update and the usage entry (one). And the true floor, the
minimum a turn needs: one round trip for the agent by its public key and one for the product's hybrid retrieval statement (with its
transaction settings, pipelined as the chunk store sends it), bare through psycopg.

Also the server's CPU time per turn (from /proc, every turn of a level), and with
``BENCH_PROFILE=<file>`` a py-spy profile of the server during the 1-concurrent level (collapsed
stacks in the file, the top frames printed). ``BENCH_KEYED=1``: an Idempotency-Key with every
message, as the shipped widget sends. ``BENCH_OPENAI=1``: the server uses the OpenAI adapters
(chat model, query embedder) against the project's fake OpenAI, served by this process.
``BENCH_BEFORE_SRC=<src>``: another version of the code (``git archive`` of an older commit)
serves the same turns in alternation with this one, at 1 and 8 concurrent: before/after in one run.

Run: .venv/bin/python bench/chat_overhead.py     (a few minutes on 2 cores)
Targets: p50 <= 5 ms and p99 <= 15 ms at 1 concurrent; at most 1.5x the true floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from pgvector import HalfVector
from pgvector.psycopg import register_vector_async

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import msgspec
from bench._client import chat_server_process, cpu_seconds
from bench._common import embedded_database, say
from bench._scifact import natural_texts
from bench._scifact import queries as scifact_queries
from testkit.builders import account, agent_for, store

from aioomi.adapters.postgres.chunk_store import PostgresChunkStore
from aioomi.container import container_on_postgres, start, stop
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import Bm25, LexicalIndex, candidate_pool
from aioomi.settings import Settings

# BENCH_CHUNKS=<n>: a smaller knowledge base (a small agent: the server's own CPU per turn shows).
ROWS, DOC_SIZE, DIMS, MODEL = int(os.environ.get("BENCH_CHUNKS", 100_000)), 1_000, 256, "wordllama-l2-supercat-256"
ORIGIN = "https://shop.example.com"
LEVELS = {1: 300, 8: 480, 32: 960}  # concurrency: turns measured
KNEE_LEVELS = (1, 2, 4, 8, 16, 32, 64, 128)  # BENCH_KNEE=1: raised until p50 first token > 100 ms
THROUGHPUT: dict[int, float] = {}  # concurrency -> whole turns per second in the measured phase
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would load the client
rng = np.random.default_rng(11)
# 1-3 sentences a chunk (about 45 words, like the synthetic texts this replaced).
TEXTS = natural_texts(ROWS, sentences_per_chunk=(1, 3))
CLAIMS = scifact_queries()


def text_of(i: int) -> str:
    return TEXTS[i]


def question() -> str:
    return CLAIMS[int(rng.integers(len(CLAIMS)))]


def search_params(account_id: str, agent_id: str, text: str, vector: HalfVector) -> dict[str, object]:
    """What PostgresChunkStore.search binds to its statement (default limits)."""
    limits, bm25 = LexicalIndex(), Bm25()
    return {
        "account": account_id,
        "agent": agent_id,
        "model": MODEL,
        "pool": candidate_pool(8),
        "vector": vector,
        "exact_max": 10_000,
        "text": text,
        "k1": bm25.k1,
        "b": bm25.b,
        "max_terms": limits.max_query_terms,
        "per_term": limits.postings_per_term,
    }


def document_count(rows: int) -> int:
    """Documents of at most DOC_SIZE chunks holding ``rows`` chunks: the last one may be shorter
    (BENCH_CHUNKS below 1,000, or not a multiple of it, is one short document more)."""
    return max(1, -(-rows // DOC_SIZE))


def chunks_of(document: int, rows: int) -> int:
    """How many of the ``rows`` chunks document number ``document`` holds (chunk i is in
    document i // DOC_SIZE)."""
    return min(DOC_SIZE, rows - document * DOC_SIZE)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def load(conninfo: str, folder: str) -> tuple[str, str, str]:
    """The owner, a grounded agent on the 256-dim indexed model, ROWS chunks in documents of
    1,000 (COPY; the last one shorter when ROWS is not a multiple), their postings and statistics, the HNSW index built once. Returns (account, agent, key)."""
    container = container_on_postgres(settings=Settings(data_dir=folder, log_level="warning"), conninfo=conninfo)
    await start(container)
    owner = account()
    agent = msgspec.structs.replace(agent_for(owner, allowed_origins=(ORIGIN,)), embedding_model=MODEL)
    await store(container, owner, agent)
    await stop(container)
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        definition = (
            await (await conn.execute("SELECT pg_get_indexdef('knowledge_chunks_hnsw_wordllama'::regclass)")).fetchone()
        )[0]
        await conn.execute("DROP INDEX knowledge_chunks_hnsw_wordllama")
        await conn.execute(
            "INSERT INTO knowledge_bases (agent_id, account_id, embedding_model) VALUES (%s, %s, %s)",
            (agent.id, owner.id, MODEL),
        )
        documents = [f"doc_bench{d:04d}" for d in range(document_count(ROWS))]
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO documents (id, account_id, agent_id, title, source, kind, status, content_hash, blob_key, "
                "size_bytes, chunk_count, embedding_model, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, 'text', 'text', 'ready', %s, %s, 1000, %s, %s, %s, %s)",
                [
                    (d, owner.id, agent.id, f"Handbook part {i}", d, d, chunks_of(i, ROWS), MODEL, now, now)
                    for i, d in enumerate(documents)
                ],
            )
        vectors = rng.standard_normal((ROWS, DIMS)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        buffer = io.StringIO()
        np.savetxt(buffer, vectors, fmt="%.4f", delimiter=",")
        lines = buffer.getvalue().splitlines()
        say(f"vectors ready ({time.perf_counter() - started:.0f}s)")
        async with conn.cursor().copy(
            "COPY knowledge_chunks (id, account_id, agent_id, document_id, position, text, content_hash, "
            "embedding_model, dimensions, embedding) FROM STDIN"
        ) as copy:
            for i in range(ROWS):
                await copy.write_row(
                    (
                        f"chk_bench{i:07d}",
                        owner.id,
                        agent.id,
                        documents[i // DOC_SIZE],
                        i % DOC_SIZE,
                        text_of(i),
                        f"h{i}",
                        MODEL,
                        DIMS,
                        f"[{lines[i]}]",
                    )
                )
        say(f"copied {ROWS:,} chunks ({time.perf_counter() - started:.0f}s)")
        # What replace_document does per document, for the whole agent at once.
        await conn.execute(
            """
            WITH terms AS (
                SELECT c.id, t.lexeme, coalesce(array_length(t.positions, 1), 1) AS tf
                FROM knowledge_chunks c, unnest(to_tsvector('english', c.text)) AS t WHERE c.agent_id = %(agent)s
            ), lengths AS (SELECT id, sum(tf)::integer AS length FROM terms GROUP BY id),
            lengthen AS (UPDATE knowledge_chunks c SET lexical_length = l.length FROM lengths l WHERE c.id = l.id),
            reference AS (SELECT sum(length)::float8 / %(rows)s AS avg_length FROM lengths)
            INSERT INTO knowledge_postings (account_id, agent_id, embedding_model, lexeme, chunk_id, tf, chunk_length, impact)
            SELECT %(account)s, %(agent)s, %(model)s, t.lexeme, t.id, t.tf, l.length,
                   (t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * l.length / r.avg_length)))::real
            FROM terms t JOIN lengths l USING (id) CROSS JOIN reference r
        """,
            {"account": owner.id, "agent": agent.id, "model": MODEL, "rows": ROWS, "k1": Bm25().k1, "b": Bm25().b},
        )
        await conn.execute(
            "INSERT INTO knowledge_term_stats (account_id, agent_id, embedding_model, lexeme, df) "
            "SELECT account_id, agent_id, embedding_model, lexeme, count(*) FROM knowledge_postings GROUP BY 1, 2, 3, 4"
        )
        await conn.execute(
            "INSERT INTO knowledge_index_stats (account_id, agent_id, embedding_model, chunk_count, total_length, "
            "impact_avg_length) SELECT account_id, agent_id, embedding_model, count(*), sum(lexical_length), "
            "sum(lexical_length)::float8 / count(*) FROM knowledge_chunks GROUP BY 1, 2, 3"
        )
        say(f"postings and statistics ({time.perf_counter() - started:.0f}s)")
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute(definition)
        for table in (
            "knowledge_chunks",
            "knowledge_postings",
            "knowledge_term_stats",
            "documents",
            "agents",
            "accounts",
        ):
            await conn.execute(f"VACUUM ANALYZE {table}")
        say(f"HNSW index built, tables analysed ({time.perf_counter() - started:.0f}s)")
    return owner.id, agent.id, agent.public_key


async def app_turns(port: int, key: str, concurrency: int, turns: int) -> list[float]:
    """Milliseconds from each POST to its first ``token`` event, ``concurrency`` turns at a time."""
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as client:

        async def user(u: int, count: int, out: list[float]) -> None:
            visitor = f"bench-visitor-{concurrency:03d}-{u:08d}"
            headers = {"origin": ORIGIN, "x-visitor-id": visitor}
            r = await client.post(f"/api/v1/widget/{key}/sessions", headers=headers)
            session = r.json()["id"]
            for _ in range(count):
                t = time.perf_counter()
                first = None
                # BENCH_KEYED=1: an Idempotency-Key with every message, as the shipped widget sends.
                sent = headers | {"idempotency-key": new_id("key")} if os.environ.get("BENCH_KEYED") else headers
                async with client.stream(
                    "POST",
                    f"/api/v1/widget/{key}/sessions/{session}/messages",
                    headers=sent,
                    json={"content": question()},
                ) as response:
                    assert response.status_code == 200, await response.aread()
                    async for line in response.aiter_lines():
                        if first is None and line.startswith("event: token"):
                            first = time.perf_counter()
                        elif line.startswith("event: error"):
                            raise RuntimeError("the turn failed")
                assert first is not None
                out.append(1000 * (first - t))

        warm: list[float] = []
        await asyncio.gather(*(user(u, 5, warm) for u in range(concurrency)))
        samples: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(user(u, turns // concurrency, samples) for u in range(concurrency)))
        THROUGHPUT[concurrency] = len(samples) / (time.perf_counter() - started)
        return samples


async def floor_turns(
    conninfo: str, account_id: str, agent_id: str, key: str, concurrency: int, turns: int
) -> list[float]:
    """The same database work bare: milliseconds to the point where the app sends its first token."""
    search_sql = PostgresChunkStore._search_sql(MODEL, DIMS, True)
    vector = HalfVector([1.0 / DIMS**0.5] * DIMS)

    async def user(u: int, count: int, out: list[float]) -> None:
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            await conn.execute("SET ROLE aioomi_app")
            await register_vector_async(conn)
            session = new_id("ses")
            visitor = f"floor-visitor-{concurrency:03d}-{u:08d}"
            async with conn.transaction():
                await conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account_id,))
                await conn.execute(
                    "INSERT INTO chat_sessions (id, account_id, agent_id, visitor_id, created_at) "
                    "VALUES (%s, %s, %s, %s, now())",
                    (session, account_id, agent_id, visitor),
                )
            for _ in range(count):
                text = question()
                now = datetime.now(UTC)
                t = time.perf_counter()
                # As the product sends them (docs/chat.md): one round trip each for the key look-up,
                # the turn's read (counters first, then read-only), the search, and the writes
                # with COMMIT; each pipeline one implicit transaction ended by its one sync.
                async with conn.pipeline():
                    await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                    cur = await conn.execute(
                        "SELECT a.*, o.status FROM agents a JOIN accounts o ON o.id = a.account_id "
                        "WHERE a.public_key = %s",
                        (key,),
                    )
                await cur.fetchone()
                keys = [
                    (
                        f"chat.{n}",
                        hashlib.sha256(f"{concurrency}:{u}:{n}".encode()).hexdigest(),
                        now + timedelta(days=1),
                    )
                    for n in range(5)
                ]
                async with conn.pipeline():
                    await conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account_id,))
                    read = [
                        await conn.execute(
                            "INSERT INTO rate_limit_counters AS c (rule, key_hash, window_ends, hits) "
                            "SELECT * , 1 FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) "
                            "ON CONFLICT (rule, key_hash) DO UPDATE SET hits = c.hits + 1 RETURNING hits",
                            ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]),
                        )
                    ]
                    await conn.execute("COMMIT")  # the counters commit at once, the reads follow
                    await conn.execute(
                        "SELECT set_config('aioomi.account_id', %s, true), "
                        "set_config('transaction_read_only', 'on', true)",
                        (account_id,),
                    )
                    read.append(
                        await conn.execute(
                            "SELECT coalesce(sum(messages), 0), coalesce(sum(tokens), 0) FROM usage_counters "
                            "WHERE account_id = %s AND period = %s",
                            (account_id, now.date().replace(day=1)),
                        )
                    )
                    read.append(
                        await conn.execute(
                            "SELECT * FROM chat_sessions WHERE id = %s AND account_id = %s", (session, account_id)
                        )
                    )
                    read.append(
                        await conn.execute(
                            "SELECT * FROM chat_messages WHERE session_id = %s AND account_id = %s "
                            "ORDER BY created_at DESC, seq DESC LIMIT 20",
                            (session, account_id),
                        )
                    )
                    read.append(
                        await conn.execute(
                            "SELECT embedding_model FROM knowledge_bases WHERE account_id = %s AND agent_id = %s",
                            (account_id, agent_id),
                        )
                    )
                for cur in read:
                    await cur.fetchall()
                async with conn.pipeline():
                    await conn.execute(
                        "SELECT set_config('aioomi.account_id', %s, true), "
                        "set_config('hnsw.ef_search', '100', true), "
                        "set_config('hnsw.iterative_scan', 'relaxed_order', true)",
                        (account_id,),
                    )
                    cur = await conn.execute(search_sql, search_params(account_id, agent_id, text, vector))
                await cur.fetchall()
                asked, answer = new_id("msg"), new_id("msg")
                async with conn.pipeline():
                    await conn.execute("BEGIN")
                    await conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account_id,))
                    await conn.execute(
                        # The partition key copied from the session, as the repository writes it (0051).
                        "INSERT INTO chat_messages (id, account_id, agent_id, session_id, role, content, status, "
                        "reply_to, created_at, session_created_at) SELECT v.*, s.created_at FROM (VALUES "
                        "(%s, %s, %s, %s, 'user', %s, 'complete', NULL, %s::timestamptz), "
                        "(%s, %s, %s, %s, 'assistant', '', 'streaming', %s, %s)) AS v "
                        "JOIN chat_sessions s ON s.id = v.column4",
                        (
                            asked,
                            account_id,
                            agent_id,
                            session,
                            text,
                            now,
                            answer,
                            account_id,
                            agent_id,
                            session,
                            asked,
                            now + timedelta(microseconds=1),
                        ),
                    )
                    await conn.execute("UPDATE chat_sessions SET last_message_at = %s WHERE id = %s", (now, session))
                    await conn.execute("COMMIT")
                out.append(1000 * (time.perf_counter() - t))
                async with conn.pipeline():
                    await conn.execute("BEGIN")
                    await conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account_id,))
                    await conn.execute(
                        "UPDATE chat_messages SET content = 'ok', status = 'complete' WHERE id = %s "
                        "AND session_created_at = (SELECT created_at FROM chat_sessions WHERE id = %s)",
                        (answer, session),
                    )
                    await conn.execute(
                        "INSERT INTO usage_entries (id, account_id, agent_id, session_id, model, kind, prompt_tokens, "
                        "completion_tokens, occurred_at) VALUES (%s, %s, %s, %s, 'gpt-4o', 'chat', 500, 5, %s)",
                        (new_id("use"), account_id, agent_id, session, now),
                    )
                    await conn.execute("COMMIT")

    warm: list[float] = []
    await asyncio.gather(*(user(u, 5, warm) for u in range(concurrency)))
    samples: list[float] = []
    await asyncio.gather(*(user(u, turns // concurrency, samples) for u in range(concurrency)))
    return samples


async def true_floor_turns(
    conninfo: str, account_id: str, agent_id: str, key: str, concurrency: int, turns: int
) -> list[float]:
    """The minimum a turn needs before its first token: the agent by its public key (one round
    trip) and the hybrid retrieval statement (one round trip), bare, one connection per turn."""
    search_sql = PostgresChunkStore._search_sql(MODEL, DIMS, True)
    vector = HalfVector([1.0 / DIMS**0.5] * DIMS)

    async def user(u: int, count: int, out: list[float]) -> None:
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            await conn.execute("SET ROLE aioomi_app")
            await register_vector_async(conn)
            for _ in range(count):
                text = question()
                t = time.perf_counter()
                # Each pipeline is one implicit transaction ended by its one sync: one round trip
                # (a transaction() block inside a pipeline would sync on entering and leaving).
                async with conn.pipeline():  # the lookup by key is cross-tenant: the system scope
                    await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                    cur = await conn.execute(
                        "SELECT a.*, o.status FROM agents a JOIN accounts o ON o.id = a.account_id "
                        "WHERE a.public_key = %s",
                        (key,),
                    )
                await cur.fetchone()
                async with conn.pipeline():
                    await conn.execute(
                        "SELECT set_config('aioomi.account_id', %s, true), "
                        "set_config('hnsw.ef_search', '100', true), "
                        "set_config('hnsw.iterative_scan', 'relaxed_order', true)",
                        (account_id,),
                    )
                    cur = await conn.execute(search_sql, search_params(account_id, agent_id, text, vector))
                await cur.fetchall()
                out.append(1000 * (time.perf_counter() - t))

    warm: list[float] = []
    await asyncio.gather(*(user(u, 5, warm) for u in range(concurrency)))
    samples: list[float] = []
    await asyncio.gather(*(user(u, turns // concurrency, samples) for u in range(concurrency)))
    return samples


def profile(pid: int) -> tuple[subprocess.Popen, Path]:
    """py-spy sampling the server (``BENCH_PROFILE=<file>``: collapsed stacks written there)."""
    out = Path(os.environ["BENCH_PROFILE"])
    spy = Path(sys.executable).with_name("py-spy")
    process = subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # attached before the first turn
    return process, out


def report_profile(profiler: tuple[subprocess.Popen, Path]) -> None:
    """Stop py-spy and print where the server's samples fell: the top frames by inclusive share,
    then the top 15 functions by self time (the innermost frame of each sample, lines merged)."""
    process, out = profiler
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        leaf = re.sub(r":\d+\)$", ")", frames[-1])
        own[leaf] = own.get(leaf, 0) + n
    say(f"profile: {total} samples of the server, written to {out}; top frames (inclusive):")
    for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:40]:
        say(f"  {100 * n / total:5.1f}%  {frame[:150]}")
    say("top 15 by self time:")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:15]:
        say(f"  {100 * n / total:5.1f}%  {n:6d}  {frame[:150]}")


@contextlib.contextmanager
def fake_openai() -> Iterator[str | None]:
    """``BENCH_OPENAI=1``: the server uses the OpenAI adapters (chat model and query embedder)
    against the project's fake OpenAI, served here (its CPU is not the server's); else ``None``."""
    if not os.environ.get("BENCH_OPENAI"):
        yield None
        return
    from testkit.openai_server import FakeOpenAI
    from testkit.serving import loopback_socket, serve_in_thread

    sock = loopback_socket()
    with serve_in_thread(FakeOpenAI(), sock, name="fake-openai", lifespan="off", start_timeout_s=10, stop_timeout_s=5):
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


SERVER: dict[str, str | None] = {}


def server_args(conninfo: str, base_url: str | None = None) -> list[str]:
    if base_url is not None:
        SERVER["openai"] = base_url
    args = ["postgres", "--conninfo", conninfo, "--tokens", "5", "--pool", "20"]
    return args + (["--openai-base-url", SERVER["openai"]] if SERVER.get("openai") else [])


async def compare(port: int, pid: int, key: str, conninfo: str, figures: dict[str, object]) -> None:
    """``BENCH_BEFORE_SRC=<src>``: the same turns served by another version of the application
    (for example the code before a change, ``git archive`` of it), against the same database, in
    alternation with this one (before, after, before, after at each level), so that both see the
    same machine: p50 first token and server CPU per turn of each."""
    with chat_server_process(*server_args(conninfo), src=os.environ["BENCH_BEFORE_SRC"]) as (
        before_port,
        _,
        before_pid,
    ):
        for concurrency in (1, 8):
            turns = {"before": [0.0, 0, []], "after": [0.0, 0, []]}
            for _ in range(2):
                for name, (at, server) in (("before", (before_port, before_pid)), ("after", (port, pid))):
                    cpu = cpu_seconds(server)
                    samples = await app_turns(at, key, concurrency, 160 if concurrency == 1 else 320)
                    totals = turns[name]
                    totals[0] += cpu_seconds(server) - cpu
                    totals[1] += 5 * concurrency + len(samples)
                    totals[2] += samples
            for name, (cpu_s, served, samples) in turns.items():
                cpu_ms = round(1000 * cpu_s / served, 2)
                p50 = round(statistics.median(samples), 2)
                say(
                    f"{name:6s} {concurrency} concurrent: first token p50 {p50} ms; server CPU {cpu_ms} ms per turn "
                    f"(load {os.getloadavg()[0]:.2f})"
                )
                figures[f"compare_c{concurrency}_{name}_p50_ms"] = p50
                figures[f"compare_c{concurrency}_{name}_load"] = round(os.getloadavg()[0], 2)
                figures[f"compare_c{concurrency}_{name}_server_cpu_ms_per_turn"] = cpu_ms


async def main() -> None:
    figures: dict[str, object] = {"chunks": ROWS}
    async with embedded_database() as (_database, conninfo):
        folder = tempfile.mkdtemp(prefix="aioomi-bench-overhead-")
        account_id, agent_id, key = await load(conninfo, folder)
        with fake_openai() as base_url, chat_server_process(*server_args(conninfo, base_url)) as (port, _, pid):
            if os.environ.get("BENCH_PAUSE_S"):  # time to attach a profiler to the server process
                say(f"server ready on port {port} (pid {pid}); pausing")
                await asyncio.sleep(float(os.environ["BENCH_PAUSE_S"]))
            for concurrency, turns in LEVELS.items():
                profiler = profile(pid) if concurrency == 1 and os.environ.get("BENCH_PROFILE") else None
                cpu = cpu_seconds(pid)
                samples = await app_turns(port, key, concurrency, turns)
                # Every turn of the level (5 warm-up turns per client too) and the session openings.
                served = 5 * concurrency + len(samples)
                cpu_ms = round(1000 * (cpu_seconds(pid) - cpu) / served, 2)
                if profiler is not None:
                    report_profile(profiler)
                p50, p99 = round(statistics.median(samples), 2), pct(samples, 0.99)
                load_now = round(os.getloadavg()[0], 2)
                say(
                    f"app   {concurrency:2d} concurrent: first token p50 {p50} ms p99 {p99} ms ({len(samples)} turns); "
                    f"server CPU {cpu_ms} ms per turn (load {load_now})"
                )
                figures[f"c{concurrency}_load"] = load_now
                figures[f"c{concurrency}_p50_ms"], figures[f"c{concurrency}_p99_ms"] = p50, p99
                figures[f"c{concurrency}_server_cpu_ms_per_turn"] = cpu_ms
            if os.environ.get("BENCH_BEFORE_SRC"):
                await compare(port, pid, key, conninfo, figures)
            if os.environ.get("BENCH_KNEE"):
                # Throughput: raise the concurrency until p50 first token passes 100 ms; the knee is
                # the last level under it (its turns per second is the figure).
                knee = None
                for concurrency in KNEE_LEVELS:
                    samples = await app_turns(port, key, concurrency, max(120, 15 * concurrency))
                    p50 = round(statistics.median(samples), 2)
                    say(f"knee  {concurrency:3d} concurrent: p50 {p50} ms, {THROUGHPUT[concurrency]:.1f} turns/s")
                    figures[f"knee_c{concurrency}_p50_ms"] = p50
                    figures[f"knee_c{concurrency}_turns_per_s"] = round(THROUGHPUT[concurrency], 1)
                    if p50 > 100:
                        break
                    knee = concurrency
                figures["knee_concurrency"] = knee
                figures["knee_turns_per_s"] = round(THROUGHPUT[knee], 1) if knee else None
        for concurrency, turns in LEVELS.items():
            samples = await floor_turns(conninfo, account_id, agent_id, key, concurrency, turns)
            p50, p99 = round(statistics.median(samples), 2), pct(samples, 0.99)
            say(
                f"floor {concurrency:2d} concurrent: p50 {p50} ms p99 {p99} ms ({len(samples)} turns) "
                f"(load {os.getloadavg()[0]:.2f})"
            )
            figures[f"c{concurrency}_floor_p50_ms"], figures[f"c{concurrency}_floor_p99_ms"] = p50, p99
            figures[f"c{concurrency}_ratio"] = round(figures[f"c{concurrency}_p50_ms"] / p50, 2)
            samples = await true_floor_turns(conninfo, account_id, agent_id, key, concurrency, turns)
            p50, p99 = round(statistics.median(samples), 2), pct(samples, 0.99)
            say(
                f"true floor {concurrency:2d} concurrent: p50 {p50} ms p99 {p99} ms ({len(samples)} turns) "
                f"(load {os.getloadavg()[0]:.2f})"
            )
            figures[f"c{concurrency}_true_floor_load"] = round(os.getloadavg()[0], 2)
            figures[f"c{concurrency}_true_floor_p50_ms"], figures[f"c{concurrency}_true_floor_p99_ms"] = p50, p99
            figures[f"c{concurrency}_true_ratio"] = round(figures[f"c{concurrency}_p50_ms"] / p50, 2)
            for name in ("before", "after"):  # BENCH_BEFORE_SRC: each version's ratio to the same true floor
                if f"compare_c{concurrency}_{name}_p50_ms" in figures:
                    figures[f"compare_c{concurrency}_{name}_true_ratio"] = round(
                        figures[f"compare_c{concurrency}_{name}_p50_ms"] / p50, 2
                    )
    figures["target"] = "c1 p50 <= 5 ms, c1 p99 <= 15 ms, c32 p50 <= 40 ms, true ratio <= 1.5"
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
