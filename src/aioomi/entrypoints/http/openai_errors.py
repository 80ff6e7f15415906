"""Errors of the OpenAI-compatible API (``/v1``) in OpenAI's shape and with OpenAI's statuses.

OpenAI's SDKs pick their exception class from the status (400 ``BadRequestError``, 401
``AuthenticationError``, 403 ``PermissionDeniedError``, 404 ``NotFoundError``, 409
``ConflictError``, 422 ``UnprocessableEntityError``, 429 ``RateLimitError``, ≥500
``InternalServerError``) and read ``{"error": {"message", "type", "param", "code"}}``. So on
``/v1`` a validation error is a 400 (never 422), a used-up allowance is a 429
``insufficient_quota`` (never 402), an unknown address is a 404 ``unknown_url``, and every
error, the app's own routing errors included, carries that body. The rest of the API keeps
RFC 9457 problems (:mod:`aioomi.entrypoints.http.problems`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from aioomi.domain.model import errors as domain
from aioomi.domain.model.usage import QuotaExceeded
from aioomi.entrypoints.http.problems import field_errors, log, status_for

OPENAI_PREFIX = "/v1/"


def is_openai_path(path: str) -> bool:
    return path == "/v1" or path.startswith(OPENAI_PREFIX)


class OpenAIErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(msgspec.Struct, frozen=True, kw_only=True):
    error: OpenAIErrorDetail


_TYPE_OF_STATUS = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    429: "requests",
}


def openai_error(
    status: int,
    message: str,
    code: str | None,
    param: str | None = None,
    *,
    error_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[OpenAIError]:
    kind = error_type or _TYPE_OF_STATUS.get(status, "server_error")
    return Response(
        OpenAIError(error=OpenAIErrorDetail(message=message, type=kind, param=param, code=code)),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def openai_domain_error(request: Request[Any, Any, Any], error: domain.AioomiError) -> Response[OpenAIError]:
    if isinstance(error, QuotaExceeded):
        return openai_error(429, error.detail, "insufficient_quota", error_type="insufficient_quota")
    if isinstance(error, domain.RateLimited):
        return openai_error(429, error.detail, "rate_limit_exceeded", headers={"Retry-After": str(error.retry_after_s)})
    status = status_for(error)
    if status == 422:
        status = 400
    if status >= 500:
        log.warning("v1 request failed", code=error.code, detail=error.detail)
    return openai_error(status, error.detail, error.code, getattr(error, "field", None))


def openai_http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[OpenAIError]:
    if isinstance(error, ValidationException):
        fields = field_errors(error.extra, request)
        if fields:
            first = fields[0]
            raw = error.extra[0] if isinstance(error.extra, list) and error.extra else {}
            if "unknown field" in str(raw.get("message", "") if isinstance(raw, dict) else ""):
                return openai_error(
                    400, f"Unrecognized request argument supplied: {first.field}", "unknown_parameter", first.field
                )
            message = "; ".join(f"{f.field or 'body'}: {f.message}" for f in fields)
            return openai_error(400, message, "invalid_request", first.field or None)
        return openai_error(400, "We could not parse the JSON body of your request.", "invalid_json")
    if isinstance(error, NotFoundException):
        return openai_error(404, f"Unknown request URL: {request.method} {request.url.path}.", "unknown_url")
    if isinstance(error, MethodNotAllowedException):
        return openai_error(405, f"{request.method} is not allowed on {request.url.path}.", "method_not_allowed")
    status = error.status_code
    if status >= 500:
        log.error("v1 request failed", status=status, exc_info=error)
        return openai_error(status, "The server could not complete the request.", "internal_error")
    return openai_error(400 if status == 422 else status, str(error.detail), "invalid_request")


def openai_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[OpenAIError]:
    if isinstance(error, UnicodeDecodeError):
        return openai_error(400, "The body is not valid UTF-8.", "invalid_encoding")
    log.error("unhandled error", exc_info=error)
    return openai_error(500, "The server could not complete the request.", "internal_error")


OPENAI_HANDLERS: dict[type[Exception], Callable[..., Response[Any]]] = {
    domain.AioomiError: openai_domain_error,
    HTTPException: openai_http_error,
    Exception: openai_unexpected,
}


def by_path(handlers: dict[type[Exception], Callable[..., Response[Any]]]) -> dict[type[Exception], Any]:
    """The app's exception handlers, answering in OpenAI's shape on ``/v1`` and with the given
    handlers everywhere else (the router's own 404 and 405 happen outside any controller)."""

    def dispatch(cls: type[Exception], default: Callable[..., Response[Any]]) -> Callable[..., Response[Any]]:
        def handle(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
            if is_openai_path(request.url.path):
                for base in type(error).__mro__:
                    if base in OPENAI_HANDLERS:
                        return OPENAI_HANDLERS[base](request, error)
            return default(request, error)

        return handle

    return {cls: dispatch(cls, handler) for cls, handler in handlers.items()}


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=OpenAIError, description=description, generate_examples=False)


OPENAI_ERRORS = {
    400: _spec("Invalid request: a bad or unsupported parameter (`param` names it), or a body that is not JSON."),
    401: _spec("Missing or invalid API key."),
    403: _spec("The agent is paused or its owner restricted processing."),
    404: _spec("No agent with this id (`model_not_found`), or no such address (`unknown_url`)."),
    409: _spec("A message with this Idempotency-Key is still being answered."),
    429: _spec(
        "The plan's allowance or the agent's cap is used up (`insufficient_quota`), "
        "or too many requests (`rate_limit_exceeded`, with `Retry-After`)."
    ),
    500: _spec("Server error."),
    503: _spec("The model or a dependency is unavailable."),
}
