"""How many simultaneous chat streams one server process relays on time.

The app (memory backend: the database is not what is measured here) is served by uvicorn in
this process's event loop; a fake model emits 80 tokens/s (40 tokens a turn). N clients each
send one message at once and read the SSE stream. A run passes when every stream ends with
`done`, no error, and each stream's inter-token gaps stay on time (p99 gap <= 2x the model's
12.5 ms pace + 50 ms). Baseline in the same run: one stream alone.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from dependency_injector import providers  # noqa: E402

from aioomi.adapters.memory.chat_model import ScriptedChatModel  # noqa: E402
from aioomi.container import MemoryContainer, start  # noqa: E402
from aioomi.domain.model.chat import ChatLimits  # noqa: E402
from aioomi.entrypoints.http.app import create_app  # noqa: E402
from aioomi.entrypoints.logging_setup import configure_logging  # noqa: E402,F401
from aioomi.settings import Settings  # noqa: E402
from bench._common import say  # noqa: E402
from tests.unit.chat_support import ListSearch, account, agent_for, store  # noqa: E402
from aioomi.domain.model.chat import Passage  # noqa: E402

TOKENS, RATE = 40, 80.0
ORIGIN = "https://shop.example.com"


async def one_stream(client: httpx.AsyncClient, key: str, visitor: str) -> tuple[bool, list[float]]:
    r = await client.post(f"/api/v1/widget/{key}/sessions", headers={"origin": ORIGIN, "x-visitor-id": visitor})
    session = r.json()["id"]
    gaps, last, ok = [], None, False
    async with client.stream("POST", f"/api/v1/widget/{key}/sessions/{session}/messages",
                             headers={"origin": ORIGIN, "x-visitor-id": visitor},
                             json={"content": "return policy"}) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: token"):
                now = time.perf_counter()
                if last is not None:
                    gaps.append(now - last)
                last = now
            elif line.startswith("event: done"):
                ok = True
            elif line.startswith("event: error"):
                ok = False
    return ok, gaps


async def main() -> None:
    folder = tempfile.mkdtemp(prefix="aioomi-bench-streams-")
    container = MemoryContainer(settings=Settings(data_dir=folder, log_level="warning"))
    model = ScriptedChatModel(reply=lambda r: " ".join(f"t{i}" for i in range(TOKENS)), token_interval_s=1 / RATE)
    container.chat_model.override(providers.Object(model))
    container.passage_search.override(providers.Object(ListSearch([Passage(
        document_id="doc_1", document_title="Returns", position=0, text="return policy: 30 days")])))
    container.chat_limits.override(providers.Object(ChatLimits(per_visitor_minute=10**6, per_visitor_day=10**6,
                                                               per_ip_minute=10**6, per_ip_day=10**6,
                                                               per_agent_day=10**6)))
    await start(container)
    owner = account()
    agent = agent_for(owner, allowed_origins=(ORIGIN,))
    await store(container, owner, agent)
    app = create_app(container, manage_lifecycle=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="on", backlog=4096))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    best, results = 0, {}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
        for n in (1, 50, 100, 200, 300, 400):
            started = time.perf_counter()
            outcomes = await asyncio.gather(*(one_stream(client, agent.public_key, f"bench-visitor-{n}-{i:08d}")
                                              for i in range(n)), return_exceptions=True)
            wall = time.perf_counter() - started
            errors = sum(1 for o in outcomes if isinstance(o, BaseException) or not o[0])
            gaps = sorted(g for o in outcomes if not isinstance(o, BaseException) for g in o[1])
            p99 = gaps[int(len(gaps) * 0.99) - 1] * 1000 if gaps else float("inf")
            on_time = errors == 0 and p99 <= 2 * 1000 / RATE + 50
            results[n] = {"errors": errors, "gap_p50_ms": round(statistics.median(gaps) * 1000, 1) if gaps else None,
                          "gap_p99_ms": round(p99, 1), "wall_s": round(wall, 2), "on_time": on_time}
            say(f"{n:4d} streams: {results[n]}")
            if on_time:
                best = n
            else:
                break
    server.should_exit = True
    await task
    print(json.dumps({"streams_on_time": best, "tokens_per_s": RATE, "baseline_gap_p99_ms": results[1]["gap_p99_ms"],
                      "target": 200, "runs": {str(k): v for k, v in results.items()}}))


if __name__ == "__main__":
    asyncio.run(main())
