"""The Argon2id password hasher. Tests pass tiny parameters for speed; one test pins the
production defaults at or above OWASP's floor."""

from __future__ import annotations

import asyncio
import re

import pytest

from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher

FAST = {"time_cost": 1, "memory_cost_kib": 64, "parallelism": 1}
PASSWORD = "correct horse battery staple"


@pytest.fixture
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(**FAST)


async def test_a_hash_verifies_its_password_and_no_other(hasher: Argon2PasswordHasher) -> None:
    stored = await hasher.hash(PASSWORD)
    assert await hasher.verify(stored, PASSWORD) is True
    assert await hasher.verify(stored, PASSWORD + " ") is False
    assert await hasher.verify(stored, "") is False


async def test_a_hash_is_argon2id_salted_and_never_the_password(hasher: Argon2PasswordHasher) -> None:
    first, second = await hasher.hash(PASSWORD), await hasher.hash(PASSWORD)
    assert first.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert PASSWORD not in first and first != second  # a fresh salt each time


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=abc",
        "$argon2id$v=19$m=64,t=1,p=1$AAAA$AAAA",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        PASSWORD,
    ],
)
async def test_a_malformed_hash_is_false_and_due_for_rehash(hasher: Argon2PasswordHasher, malformed: str) -> None:
    assert await hasher.verify(malformed, PASSWORD) is False
    assert hasher.needs_rehash(malformed) is True


async def test_a_parameter_change_asks_for_a_rehash_and_old_hashes_still_verify(hasher: Argon2PasswordHasher) -> None:
    stored = await hasher.hash(PASSWORD)
    assert hasher.needs_rehash(stored) is False
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost_kib=128, parallelism=1)
    assert stronger.needs_rehash(stored) is True
    assert await stronger.verify(stored, PASSWORD) is True
    assert stronger.needs_rehash(await stronger.hash(PASSWORD)) is False


async def test_hashing_runs_off_the_event_loop() -> None:
    slow = Argon2PasswordHasher(time_cost=3, memory_cost_kib=8 * 1024, parallelism=1)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker())
    await slow.hash(PASSWORD)
    task.cancel()
    assert ticks > 5  # the loop kept turning while the hash was computed


async def test_production_defaults_are_at_least_owasps_floor() -> None:
    stored = await Argon2PasswordHasher().hash(PASSWORD)
    m, t, p = map(int, re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored).groups())
    assert m >= 19 * 1024 and t >= 2 and p >= 1
    assert (m, t, p) == (65536, 3, 4)
