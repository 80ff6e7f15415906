"""The widget's "Talk to a person" script (``/widget/handoff.js``): loaded by widget.js only for
an agent that offers a person, so the widget stays within its size budget for everyone else."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get

HANDOFF_FILE = Path(__file__).parent / "static" / "widget" / "handoff.js"
SHORT_CACHE = "public, max-age=300, stale-while-revalidate=86400"


@functools.cache
def handoff_script() -> tuple[bytes, str]:
    body = HANDOFF_FILE.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


class HandoffScriptController(Controller):
    include_in_schema = False

    @get("/widget/handoff.js", cache_control=None)
    async def handoff_js(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        body, etag = handoff_script()
        headers = {
            "Cache-Control": SHORT_CACHE,
            "ETag": etag,
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "X-Content-Type-Options": "nosniff",
        }
        if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]:
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type="text/javascript", headers=headers)
