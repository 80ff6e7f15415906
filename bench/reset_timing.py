"""E-mail enumeration by timing (issue 12, item 10): how long `POST /api/v1/auth/password-reset`
takes for a registered and for an unknown address, through the app on Postgres (embedded).

    .venv/bin/python bench/reset_timing.py [rounds]

The two are asked in alternation, so drift in the machine's load hits both alike. The floor is
`GET /api/v1/auth/policy` measured in the same run (a request that does no account work). Rate
limits are lifted for the run (they would answer 429 after a few requests). Target: the
registered/unknown ratio of the medians stays within 1.0 ± 0.1 (before the fix: 6.3 vs 3.3 ms).
Ends with one line of JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` and `testkit`, run as a script

from bench._common import embedded_database, say
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from testkit.accounts import fast_hasher, sign_up_body

from aioomi.container import container_on_postgres, start, stop
from aioomi.domain.model.rate_limits import RateDecision, RateLimit
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings


class Unlimited:
    async def hit(self, rule: RateLimit, key: str) -> RateDecision:
        return RateDecision(allowed=True, remaining=rule.limit, retry_after_s=0)


async def timed(client: AsyncTestClient, method: str, path: str, body: dict | None = None) -> float:
    start = time.perf_counter()
    response = await client.request(method, path, json=body)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code in (200, 202), response.text
    return elapsed


async def main(rounds: int) -> None:
    logging.disable(logging.INFO)  # one line per request would be most of the output
    async with embedded_database() as (_, conninfo):
        settings = Settings(
            data_dir=tempfile.mkdtemp(prefix="aioomi-bench-reset-"), log_level="warning", public_url="http://127.0.0.1"
        )
        container = container_on_postgres(settings=settings, conninfo=conninfo)
        container.password_hasher.override(providers.Object(fast_hasher()))
        container.rate_limiter.override(providers.Object(Unlimited()))
        await start(container)
        try:
            app = create_app(container, manage_lifecycle=False)
            async with AsyncTestClient(app, base_url="http://127.0.0.1") as client:
                await client.post("/api/v1/auth/signup", json=sign_up_body("known@example.com"))
                say(f"{rounds} rounds: registered, unknown, floor (GET /api/v1/auth/policy) in turn")
                known, unknown, floor = [], [], []
                for i in range(rounds):
                    known.append(
                        await timed(client, "POST", "/api/v1/auth/password-reset", {"email": "known@example.com"})
                    )
                    unknown.append(
                        await timed(client, "POST", "/api/v1/auth/password-reset", {"email": f"nobody{i}@example.com"})
                    )
                    floor.append(await timed(client, "GET", "/api/v1/auth/policy"))
                    if (i + 1) % max(1, rounds // 5) == 0:
                        say(
                            f"  {i + 1}/{rounds}: registered {statistics.median(known):.2f} ms, "
                            f"unknown {statistics.median(unknown):.2f} ms, floor {statistics.median(floor):.2f} ms"
                        )
        finally:
            await stop(container)
    print(
        json.dumps(
            {
                "registered_ms_p50": round(statistics.median(known), 2),
                "unknown_ms_p50": round(statistics.median(unknown), 2),
                "floor_ms_p50": round(statistics.median(floor), 2),
                "ratio": round(statistics.median(known) / statistics.median(unknown), 3),
                "rounds": rounds,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
