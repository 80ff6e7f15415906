"""Hashing passwords for storage."""

from __future__ import annotations

from typing import Protocol


class PasswordHasher(Protocol):
    """Turns passwords into slow, salted, self-describing hashes and checks them.

    A hash carries its own algorithm and parameters, so hashes made under older parameters
    still verify; ``needs_rehash`` says when one should be replaced at the next sign-in.
    """

    async def hash(self, password: str) -> str:
        """A new hash of ``password`` (a fresh salt each call). Runs off the event loop."""
        ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``. ``False`` on a mismatch and on a
        malformed or foreign hash: never raises for those. Runs off the event loop."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other parameters than the current ones (or
        cannot be read), so it should be replaced after the next successful ``verify``."""
        ...
