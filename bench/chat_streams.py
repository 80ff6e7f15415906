"""How many simultaneous chat streams one server process relays on time.

The app (memory backend: the database is not what is measured here) runs in a uvicorn
process of its own (access log off, app log at warning); the load clients run in this process,
so they never share the server's event loop. A fake model emits 80 tokens/s (40 tokens a
turn). N clients each send one message at once and read the SSE stream. A run passes when
every stream ends with `done`, no error, and each stream's inter-token gaps stay on time (p99
gap <= 2x the model's 12.5 ms pace + 50 ms). Baseline in the same run: one stream alone.

Run: .venv/bin/python bench/chat_streams.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from bench._client import chat_server
from bench._common import say

TOKENS, RATE = 40, 80.0
ORIGIN = "https://shop.example.com"


async def one_stream(client: httpx.AsyncClient, key: str, visitor: str) -> tuple[bool, list[float]]:
    r = await client.post(f"/api/v1/widget/{key}/sessions", headers={"origin": ORIGIN, "x-visitor-id": visitor})
    session = r.json()["id"]
    gaps, last, ok = [], None, False
    async with client.stream(
        "POST",
        f"/api/v1/widget/{key}/sessions/{session}/messages",
        headers={"origin": ORIGIN, "x-visitor-id": visitor},
        json={"content": "return policy"},
    ) as response:
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
    extra = sys.argv[1:]  # e.g. --proto 0
    with chat_server("memory", "--tokens", str(TOKENS), "--token-interval", str(1 / RATE), *extra) as (port, key):
        limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
        best, results = 0, {}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
            for n in (1, 50, 100, 200, 300, 400, 600, 800):
                started = time.perf_counter()
                outcomes = await asyncio.gather(
                    *(one_stream(client, key, f"bench-visitor-{n}-{i:08d}") for i in range(n)), return_exceptions=True
                )
                wall = time.perf_counter() - started
                errors = sum(1 for o in outcomes if isinstance(o, BaseException) or not o[0])
                gaps = sorted(g for o in outcomes if not isinstance(o, BaseException) for g in o[1])
                p99 = gaps[int(len(gaps) * 0.99) - 1] * 1000 if gaps else float("inf")
                on_time = errors == 0 and p99 <= 2 * 1000 / RATE + 50
                results[n] = {
                    "errors": errors,
                    "gap_p50_ms": round(statistics.median(gaps) * 1000, 1) if gaps else None,
                    "gap_p99_ms": round(p99, 1),
                    "wall_s": round(wall, 2),
                    "on_time": on_time,
                }
                say(f"{n:4d} streams: {results[n]}")
                failures = [repr(o)[:200] for o in outcomes if isinstance(o, BaseException)]
                if failures:
                    say(f"     first failure: {failures[0]}")
                if on_time:
                    best = n
                else:
                    break
    print(
        json.dumps(
            {
                "streams_on_time": best,
                "tokens_per_s": RATE,
                "baseline_gap_p99_ms": results[1]["gap_p99_ms"],
                "target": 200,
                "runs": {str(k): v for k, v in results.items()},
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
