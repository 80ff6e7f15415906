"""The widget script (``/widget.js``) and the demo page (``/demo``).

``/widget.js`` is the URL owners paste, so it never changes: browsers keep it for a short while
and then revalidate it with its ``ETag`` (a 304 costs a few bytes). ``/widget/<digest>.js`` is the
same file under a content-hashed name, cacheable for a year. Both are public, with CORS open to
every origin (the widget runs on the owners' sites)."""

from __future__ import annotations

import functools
import hashlib
import html
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, head
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

WIDGET_FILE = Path(__file__).parent / "static" / "widget" / "widget.js"
DEMO_FILE = Path(__file__).parent / "static" / "demo" / "index.html"
SHORT_CACHE = "public, max-age=300, stale-while-revalidate=86400"
IMMUTABLE = "public, max-age=31536000, immutable"


class WidgetScript(msgspec.Struct, frozen=True, kw_only=True):
    body: bytes
    digest: str

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


@functools.cache
def widget_script() -> WidgetScript:
    body = WIDGET_FILE.read_bytes()
    return WidgetScript(body=body, digest=hashlib.sha256(body).hexdigest()[:20])


def _script_response(request: Request[Any, Any, Any], cache_control: str) -> Response[bytes]:
    script = widget_script()
    headers = {
        "Cache-Control": cache_control,
        "ETag": script.etag,
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    tags = [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]
    if script.etag in tags:
        return Response(b"", status_code=304, headers=headers)
    return Response(script.body, media_type="text/javascript", headers=headers)


class WidgetScriptController(Controller):
    include_in_schema = False

    @get("/widget.js", cache_control=None)
    async def widget_js(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return _script_response(request, SHORT_CACHE)

    @head("/widget.js", cache_control=None)
    async def widget_js_head(self, request: Request[Any, Any, Any]) -> Response[None]:
        """What GET answers, without the body (link checkers and uptime monitors ask HEAD)."""
        full = _script_response(request, SHORT_CACHE)
        return Response(None, status_code=full.status_code, headers=dict(full.headers), media_type="text/javascript")

    @get("/widget/{name:str}", cache_control=None)
    async def widget_hashed(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        if name != f"{widget_script().digest}.js":
            raise NotFoundException("No such widget version.")
        return _script_response(request, IMMUTABLE)


DEMO_CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' https:; "
    "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class DemoController(Controller):
    """The demo page with the demo agent's widget on it (registered only when the demo is seeded)."""

    include_in_schema = False

    @get("/demo", cache_control=None)
    async def demo(self, state: State) -> Response[str]:
        site = state.get("demo")
        if site is None:
            raise NotFoundException("The demo could not be seeded; the server log says why.")
        snippet = f'<script src="/widget.js" data-agent-key="{html.escape(site.public_key)}" async></script>'
        page = DEMO_FILE.read_text().replace("{{snippet}}", snippet).replace("{{snippet_text}}", html.escape(snippet))
        return Response(
            page,
            media_type="text/html",
            headers={
                "Content-Security-Policy": DEMO_CSP,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    # `/` belongs to the dashboard (signed-in owners; others go to sign-in): the demo lives at /demo.
