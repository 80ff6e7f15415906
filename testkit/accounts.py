"""Accounts in tests and benches: a fast password hasher and the sign-up request body."""

from __future__ import annotations

from typing import Any

from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher
from aioomi.domain.model.policy import CURRENT_POLICY_VERSION

PASSWORD = "correct horse battery staple"
FAST_HASH = {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}


def fast_hasher(**parameters: int) -> Argon2PasswordHasher:
    """Argon2id with tiny parameters: production's are slow on purpose."""
    return Argon2PasswordHasher(**(FAST_HASH | parameters))


def sign_up_body(
    email: str, *, password: str = PASSWORD, full_name: str = "Ada Lovelace", **more: Any
) -> dict[str, Any]:
    return {
        "email": email,
        "full_name": full_name,
        "password": password,
        "adult": True,
        "accepted_policy_version": CURRENT_POLICY_VERSION,
    } | more
