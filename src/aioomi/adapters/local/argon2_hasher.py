"""Password hashing with Argon2id (argon2-cffi), off the event loop.

Defaults: time_cost=3, memory 64 MiB, parallelism=4 — the second recommended option of
RFC 9106 (section 4, for when 2 GiB per hash is too much) and argon2-cffi's own default
profile. That is about 3.4 times the memory and 1.5 times the passes of OWASP's floor
(19 MiB, t=2, p=1), ~0.1 s per hash on a 2-core machine (see ``bench/password_hash.py``).
Memory per hash in flight is 64 MiB, so concurrent hashes are bounded (``max_concurrent``).
"""

from __future__ import annotations

import asyncio
import os

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_COST_KIB = 64 * 1024
DEFAULT_PARALLELISM = 4


class Argon2PasswordHasher:
    """See :class:`aioomi.ports.password_hasher.PasswordHasher`.

    Tests that need speed pass small parameters explicitly; the defaults are production's.
    ``max_concurrent`` (default: the number of CPUs) caps hashes running at once, so a burst of
    sign-ins queues instead of taking ``max_concurrent × memory`` and more.
    """

    def __init__(
        self,
        time_cost: int = DEFAULT_TIME_COST,
        memory_cost_kib: int = DEFAULT_MEMORY_COST_KIB,
        parallelism: int = DEFAULT_PARALLELISM,
        *,
        max_concurrent: int | None = None,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._slots = asyncio.Semaphore(max_concurrent or os.cpu_count() or 1)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):  # mismatch, or not an Argon2 hash at all
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True
