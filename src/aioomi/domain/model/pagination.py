"""Keyset pagination: pages of a list ordered by (creation time, id), with an opaque cursor.

A cursor names the last item of a page, so the next page starts right after it whatever was
added or removed meanwhile: no item is listed twice and none that existed throughout is skipped.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from aioomi.domain.model.errors import InvalidInput

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 200


class PageKey(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """Where a page ends: the creation time and id of its last item."""

    created_at: datetime
    id: str


class Page(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    items: list[T]
    next_cursor: str | None = None
    """Pass it back to get the next page; ``None`` on the last page."""


def check_page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}.", code="invalid_limit", field="limit")
    return limit


def encode_cursor(key: PageKey) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> PageKey:
    """The position a cursor names; raises :class:`InvalidInput` (``invalid_cursor``) for
    anything :func:`encode_cursor` did not make."""
    invalid = InvalidInput("The cursor is not one this list returned.", code="invalid_cursor", field="cursor")
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = msgspec.json.decode(raw, type=PageKey)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise invalid from None
    if key.created_at.tzinfo is None or not key.id or len(key.id) > 100:
        raise invalid
    return key
