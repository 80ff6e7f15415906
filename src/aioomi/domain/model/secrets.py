"""Random secrets and their stored form. Only hashes of tokens are ever stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "aio_"
API_KEY_SHOWN = 12  # characters of the key kept visible (prefix included), e.g. "aio_3fQk9ZxT"


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token with ``nbytes`` bytes of entropy."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token: enough for lookup, since such tokens cannot be guessed
    (unlike passwords, which get argon2id)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(30)


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
