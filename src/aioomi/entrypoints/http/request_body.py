"""Request bodies: JSON nested deeper than any real document is refused before it is decoded.

msgspec and the standard library decode nested arrays and objects recursively; a body of a few
kilobytes of ``[`` ends in a ``RecursionError`` (a 500) deep in the decoder. Every body the app
reads goes through :class:`GuardedRequest`, so the limit holds for every JSON route, the Stripe
webhook and the document upload alike.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from litestar import Request

from aioomi.domain.model.errors import InvalidInput

MAX_JSON_DEPTH = 400

_KEPT = frozenset(b'[]{}"')
_ALL_BUT_BRACKETS_AND_QUOTES = bytes(b for b in range(256) if b not in _KEPT)
_STRING = re.compile(rb'"[^"]*"')
# One signed byte per bracket: +1 opens, -1 (0xff) closes.
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_CHUNK = 1 << 20  # steps summed at once (8 MB of int64 at most)
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in ``raw`` nest deeper than ``limit``, without decoding it.

    Escaped backslashes and quotes are dropped, then strings (their brackets are text), then
    everything but brackets; the running depth is the sum of +1/-1 steps. Work is linear in
    the body, in C loops (bytes methods, the regex engine, numpy), and only runs past the first
    count when there are more brackets than the limit. For JSON that is invalid past some point
    the decoder stops there, and up to that point the count is exact."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = _STRING.sub(b"", unescaped.translate(None, _ALL_BUT_BRACKETS_AND_QUOTES)).replace(b'"', b"")
    if skeleton.count(b"[") + skeleton.count(b"{") <= limit:
        return False
    steps = np.frombuffer(skeleton.translate(_STEP), dtype=np.int8)
    depth = 0
    for start in range(0, len(steps), _CHUNK):
        sums = np.cumsum(steps[start : start + _CHUNK], dtype=np.int64) + depth
        if int(sums.max()) > limit:
            return True
        depth = int(sums[-1])
    return False


class JsonTooDeep(InvalidInput):
    code = "json_too_deep"
    title = "JSON nested too deeply"


class GuardedRequest(Request[Any, Any, Any]):
    """Litestar's request, with the nesting of a JSON body checked when the body is read (forms
    and multipart uploads are parsed as streams and never come here)."""

    async def body(self) -> bytes:
        raw = await super().body()
        state = self.scope.setdefault("state", {})
        if raw and not state.get("body_depth_checked"):
            media = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media not in _FORMS and json_depth_exceeds(raw):
                raise JsonTooDeep(f"The JSON body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep.")
            state["body_depth_checked"] = True
        return raw
