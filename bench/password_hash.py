"""Password hashing cost: ms per hash and per verify at Aioomi's Argon2id defaults, against
OWASP's floor (argon2id, 19 MiB, t=2, p=1) measured in the same run.

    .venv/bin/python bench/password_hash.py [rounds]

Target: a hash costs at least as much as the floor (ratio >= 1) and stays under ~250 ms, so
sign-in stays quick while guessing stays dear. Ends with one line of JSON.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

from aioomi.adapters.local.argon2_hasher import (
    DEFAULT_MEMORY_COST_KIB,
    DEFAULT_PARALLELISM,
    DEFAULT_TIME_COST,
    Argon2PasswordHasher,
)

PASSWORD = "correct horse battery staple"
CHOSEN = {
    "time_cost": DEFAULT_TIME_COST,
    "memory_cost_kib": DEFAULT_MEMORY_COST_KIB,
    "parallelism": DEFAULT_PARALLELISM,
}
OWASP_FLOOR = {"time_cost": 2, "memory_cost_kib": 19 * 1024, "parallelism": 1}


async def measure(label: str, params: dict[str, int], rounds: int) -> tuple[float, float]:
    hasher = Argon2PasswordHasher(**params)
    stored = await hasher.hash(PASSWORD)  # warm-up: the first allocation of the memory block
    hash_ms, verify_ms = [], []
    for i in range(rounds):
        start = time.perf_counter()
        stored = await hasher.hash(PASSWORD)
        hash_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        assert await hasher.verify(stored, PASSWORD)
        verify_ms.append((time.perf_counter() - start) * 1000)
        print(
            f"  {label}: round {i + 1}/{rounds}: hash {hash_ms[-1]:.1f} ms, verify {verify_ms[-1]:.1f} ms", flush=True
        )
    return statistics.median(hash_ms), statistics.median(verify_ms)


async def main(rounds: int) -> None:
    print(f"Argon2id, {rounds} rounds each; chosen {CHOSEN}, OWASP floor {OWASP_FLOOR}")
    hash_p50, verify_p50 = await measure("chosen", CHOSEN, rounds)
    floor_hash_p50, floor_verify_p50 = await measure("owasp floor", OWASP_FLOOR, rounds)
    print(
        json.dumps(
            {
                "hash_ms_p50": round(hash_p50, 1),
                "verify_ms_p50": round(verify_p50, 1),
                "owasp_floor_hash_ms_p50": round(floor_hash_p50, 1),
                "owasp_floor_verify_ms_p50": round(floor_verify_p50, 1),
                "ratio": round(hash_p50 / floor_hash_p50, 2),
                "params": CHOSEN,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15))
