"""Opaque, type-prefixed identifiers (``acct_…``, ``agt_…``, ``job_…``).

The prefix makes a misplaced id fail at once and logs read well; the random part is 128 bits
of ``secrets`` entropy in Crockford-free lowercase base32, so ids are URL-safe and unguessable.
"""

from __future__ import annotations

import base64
import re
import secrets

_PREFIX = re.compile(r"^[a-z]{2,6}$")
_BODY_LEN = 26  # 16 random bytes in unpadded base32


def new_id(prefix: str) -> str:
    """A fresh id such as ``job_3x7q…``; ``prefix`` is 2–6 lowercase letters."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"id prefix must be 2-6 lowercase letters, got {prefix!r}")
    body = base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()
    return f"{prefix}_{body}"


def is_id(value: str, prefix: str) -> bool:
    """Whether ``value`` has the shape of an id made by :func:`new_id` with ``prefix``."""
    head, sep, body = value.partition("_")
    return (
        sep == "_"
        and head == prefix
        and len(body) == _BODY_LEN
        and all(c in "abcdefghijklmnopqrstuvwxyz234567" for c in body)
    )
