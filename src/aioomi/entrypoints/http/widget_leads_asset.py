"""``/widget-leads.js``: the widget's lead form, a script of its own that ``/widget.js`` loads
only for an agent with a lead form (the widget stays within its size budget). Public, CORS open
to every origin, revalidated with its ``ETag`` like ``/widget.js``."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get

from aioomi.entrypoints.http.widget_assets import SHORT_CACHE

LEADS_FILE = Path(__file__).parent / "static" / "widget" / "leads.js"


@functools.cache
def _leads_script() -> tuple[bytes, str]:
    body = LEADS_FILE.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


class WidgetLeadsScriptController(Controller):
    include_in_schema = False

    @get("/widget-leads.js", cache_control=None)
    async def widget_leads_js(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        body, etag = _leads_script()
        headers = {
            "Cache-Control": SHORT_CACHE,
            "ETag": etag,
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "X-Content-Type-Options": "nosniff",
        }
        tags = [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]
        if etag in tags:
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type="text/javascript", headers=headers)
