"""Refuse API bodies sent under a content type the API does not speak.

Litestar decodes a JSON body whatever the ``Content-Type`` says. Accepting JSON sent as
``text/plain`` would let any web page post to the API with a plain form — no CORS preflight —
so bodies on the API must be JSON (or multipart, for uploads); anything else is a 415 problem.
"""

from __future__ import annotations

import json
from typing import Any

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_API_PREFIXES = ("/api/", "/v1/")
_ACCEPTED = ("application/json", "multipart/form-data")


def _media_type(headers: list[tuple[bytes, bytes]]) -> str | None:
    for key, value in headers:
        if key == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return None


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for key, value in headers:
        if key == b"content-length":
            return value.strip() not in (b"", b"0")
        if key == b"transfer-encoding":
            return True
    return False


class ContentTypeGuard:
    """ASGI middleware: a body on an unsafe API request must be JSON or multipart."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _UNSAFE
            and scope["path"].startswith(_API_PREFIXES)
            and _has_body(scope.get("headers", []))
        ):
            media_type = _media_type(scope.get("headers", []))
            if media_type is None or not (media_type in _ACCEPTED or media_type.endswith("+json")):
                await _refuse(scope, send, media_type)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: dict[str, Any], send: Any, media_type: str | None) -> None:
    detail = f"Send the body as application/json (got {media_type or 'no content type'})."
    if scope["path"].startswith("/v1/"):  # the OpenAI-compatible API answers in OpenAI's shape and statuses
        status, content_type = 400, b"application/json"
        body = json.dumps(
            {
                "error": {
                    "message": detail,
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "unsupported_media_type",
                }
            }
        ).encode()
    else:
        status, content_type = 415, b"application/problem+json"
        body = _problem(scope, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _problem(scope: dict[str, Any], detail: str) -> bytes:
    return json.dumps(
        {
            "type": "urn:aioomi:problem:unsupported_media_type",
            "title": "Unsupported Media Type",
            "status": 415,
            "detail": detail,
            "code": "unsupported_media_type",
            "request_id": scope.get("state", {}).get("request_id"),
        }
    ).encode()
