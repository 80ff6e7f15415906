"""RFC 9457 problem responses: the one mapping from errors to HTTP.

Every error leaves as ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail``, a stable machine ``code`` and the ``request_id``; validation errors add ``errors``,
one entry per bad field. Domain errors map by class; Litestar's own HTTP errors keep their
status; anything unexpected becomes a 500 that says nothing about the internals.
"""

from __future__ import annotations

import re
from datetime import date
from http import HTTPStatus
from typing import Any, overload

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from aioomi.domain.model import errors as domain
from aioomi.domain.model.documents import DocumentTooLarge
from aioomi.domain.model.knowledge import UnsupportedDocumentType
from aioomi.domain.model.usage import QuotaExceeded

log = structlog.get_logger("aioomi.http")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    message: str
    source: str | None = None


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


# Most specific first: the first class in an error's MRO found here decides the status.
STATUS_OF: dict[type[domain.AioomiError], int] = {
    DocumentTooLarge: 413,
    UnsupportedDocumentType: 415,
    QuotaExceeded: 402,
    domain.InvalidInput: 422,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.Unauthenticated: 401,
    domain.Forbidden: 403,
    domain.RateLimited: 429,
    domain.Unavailable: 503,
    domain.AioomiError: 500,
}

_CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    402: "quota_exceeded",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def problem_type(code: str) -> str:
    return f"urn:aioomi:problem:{code}"


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=problem_type(code),
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        request_id=_request_id(request),
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def status_for(error: domain.AioomiError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def handle_domain_error(request: Request[Any, Any, Any], error: domain.AioomiError) -> Response[Problem]:
    status = status_for(error)
    headers = None
    if isinstance(error, domain.RateLimited):
        headers = {"Retry-After": str(error.retry_after_s)}
    errors = None
    if isinstance(error, domain.InvalidInput) and error.field:
        errors = [FieldError(field=error.field, message=error.detail)]
    field_errors = getattr(error, "field_errors", ())  # a form's every bad field (lead forms)
    if field_errors:
        errors = [FieldError(field=field, message=message, source="body") for field, message in field_errors]
    if status == 503:  # an expected outage of a dependency: no traceback
        log.warning("dependency unavailable", code=error.code, detail=error.detail)
    elif status >= 500:
        log.error("request failed", code=error.code, detail=error.detail, exc_info=error)
    return problem_response(
        request,
        status=status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        errors=errors,
        headers=headers,
    )


_AT_PATH = re.compile(r"^(?P<message>.*?) - at `\$(?P<path>[^`]*)`$")
_UNKNOWN_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")
_SOURCES = ("body", "query", "path", "header", "cookie")

_KIND = {
    "str": "a text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}
_WORDS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"^Expected `str` of length >= (\d+)$"),
        lambda m: "This is required." if m[1] == "1" else f"Use at least {m[1]} characters.",
    ),
    (re.compile(r"^Expected `str` of length <= (\d+)$"), lambda m: f"Use at most {int(m[1]):,} characters."),
    (re.compile(r"^Expected `array` of length >= (\d+)$"), lambda m: f"Give at least {m[1]} item(s)."),
    (re.compile(r"^Expected `array` of length <= (\d+)$"), lambda m: f"Give at most {int(m[1]):,} item(s)."),
    (re.compile(r"^Expected `(?:int|float)` >= (\S+)$"), lambda m: f"Use a number of at least {m[1]}."),
    (re.compile(r"^Expected `(?:int|float)` <= (\S+)$"), lambda m: f"Use a number of at most {m[1]}."),
    (re.compile(r"^Expected `(?:int|float)` > (\S+)$"), lambda m: f"Use a number above {m[1]}."),
    (re.compile(r"^Expected `(?:int|float)` < (\S+)$"), lambda m: f"Use a number below {m[1]}."),
    (re.compile(r"^Expected `str` matching regex .*$"), lambda m: "This is not in the expected format."),
    (re.compile(r"^Invalid enum value (.*)$"), lambda m: f"{m[1]} is not one of the accepted values."),
    (
        re.compile(r"^Invalid RFC3339 encoded datetime$"),
        lambda m: "Use a date (2026-03-01) or an RFC 3339 date-time (2026-03-01T12:00:00Z).",
    ),
    (re.compile(r"^Invalid RFC3339 encoded date$"), lambda m: "Use a date like 2026-03-01."),
    (re.compile(r"^Object contains unknown field `([^`]+)`$"), lambda m: f"`{m[1]}` is not a field of this request."),
    (re.compile(r"^Object missing required field `([^`]+)`$"), lambda m: f"`{m[1]}` is required."),
    (
        re.compile(r"^Expected `([^`]+)`, got `(\w+)`$"),
        lambda m: (
            f"Use {' or '.join(_KIND.get(k.strip(), k.strip()) for k in m[1].split('|'))}, not {_KIND.get(m[2], m[2])}."
        ),
    ),
]


def in_words(message: str) -> str:
    """A validator's message (msgspec's ``Expected `str` of length >= 1``) said for people,
    without the validator's internals (types, regular expressions)."""
    for pattern, say in _WORDS:
        if (found := pattern.match(message)) is not None:
            return str(say(found))
    return message


def _source(item: dict[str, Any]) -> str | None:
    """``query``, ``body``, ``path``, ``header`` or ``cookie`` (Litestar gives ``ParamType.QUERY``)."""
    raw = item.get("source")
    if raw is None:
        return None
    name = str(getattr(raw, "value", raw)).lower().removeprefix("paramtype.")
    return name if name in _SOURCES else None


def _public_name(request: Request[Any, Any, Any] | None, key: str, source: str) -> str:
    """The name a client sends (``from``, ``X-Visitor-Id``), not the handler's parameter name."""
    try:
        fields = request.route_handler.signature_model._fields if request is not None else {}
        kwarg = fields[key].kwarg_definition
    except (AttributeError, KeyError, LookupError, TypeError):
        return key
    name = str(getattr(kwarg, "name", None) or getattr(kwarg, source, None) or key)
    return "-".join(part.capitalize() for part in name.split("-")) if source == "header" else name


def _field_errors(extra: object, request: Request[Any, Any, Any] | None = None) -> list[FieldError]:
    """One entry per bad field. For a body, msgspec says where (``… - at `$.email```); name
    that field (``email``) rather than the handler's ``data`` parameter; for a parameter, the
    name the client sent. Messages are said in words (:func:`in_words`)."""
    found = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        field = str(item.get("key") or item.get("field") or "")
        message = str(item.get("message") or "invalid value")
        source = _source(item)
        if (at := _AT_PATH.match(message)) is not None:
            message, field = at["message"], at["path"].lstrip(".") or field
        elif (named := _UNKNOWN_FIELD.search(message)) is not None:
            field = named["name"]
        elif field == "data" and message.strip("'\"") == "data":  # no body at all
            field, message = "body", "A JSON body is required."
        elif source in ("query", "header", "cookie"):
            field = _public_name(request, field, source)
        found.append(FieldError(field=field, message=in_words(message), source=source))
    return found


# What Litestar's request raises when the client disconnects while its body is being read.
CLIENT_GONE = "client disconnected prematurely"


def handle_http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Problem]:
    status = error.status_code
    if isinstance(error, ValidationException):
        fields = _field_errors(error.extra, request)
        if fields:
            return problem_response(
                request,
                status=422,
                code="validation_failed",
                title="Validation failed",
                detail="; ".join(f"{f.field or 'body'}: {f.message}" for f in fields),
                errors=fields,
            )
        return problem_response(request, status=400, code="bad_request", detail=str(error.detail))
    if isinstance(error, NotFoundException):
        return problem_response(request, status=404, code="not_found", detail="No resource at this address.")
    if isinstance(error, InternalServerException) and error.detail == CLIENT_GONE:
        # Litestar's words when the client hangs up mid-body (an upload cancelled): the client's
        # doing, not a server fault, and no one reads the answer.
        log.info("client disconnected before its body was read")
        return problem_response(
            request,
            status=400,
            code="client_disconnected",
            detail="The client closed the connection before sending the whole body.",
        )
    if status >= 500:
        log.error("request failed", status=status, exc_info=error)
        return problem_response(
            request,
            status=status,
            code=_CODE_OF_STATUS.get(status, "internal_error"),
            detail="The server could not complete the request.",
        )
    return problem_response(
        request,
        status=status,
        code=_CODE_OF_STATUS.get(status, "http_error"),
        detail=str(error.detail),
        headers=dict(error.headers) if error.headers else None,
    )


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    log.error("unhandled error", exc_info=error)
    return problem_response(
        request,
        status=500,
        code="internal_error",
        detail="The server could not complete the request. Quote the request id when reporting it.",
    )


EXCEPTION_HANDLERS = {
    domain.AioomiError: handle_domain_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected,
}


# Days a query may name: the arithmetic on them (a day past the end, a month before the start)
# stays within what datetimes can hold.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(9999, 12, 30)


class DateOutOfRange(domain.InvalidInput):
    code = "date_out_of_range"
    title = "Date out of range"


@overload
def bounded_day(value: date, field: str) -> date: ...
@overload
def bounded_day(value: None, field: str) -> None: ...
@overload
def bounded_day(value: date | None, field: str) -> date | None: ...
def bounded_day(value: date | None, field: str) -> date | None:
    """``value`` if it lies between :data:`EARLIEST_DAY` and :data:`LATEST_DAY`; otherwise a 422
    problem with code ``date_out_of_range`` naming ``field``."""
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise DateOutOfRange(f"`{field}` must be a day from {EARLIEST_DAY} to {LATEST_DAY}.", field=field)
    return value


def problem_spec(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem, media_type=PROBLEM_MEDIA_TYPE, description=description, generate_examples=False
    )


# Errors any route may answer with, documented on every operation.
COMMON_PROBLEMS: dict[int, str] = {
    400: "Malformed request (unreadable body, wrong content type).",
    415: "The body is not JSON (or multipart, for uploads).",
    422: "Validation failed: `errors` lists each bad field.",
    500: "Unexpected server error; the body carries the request id.",
    503: "A dependency (the database, a model provider) is unavailable; retry later.",
}


def document_problems(handlers: Any) -> None:
    """Declare the common problem responses on every route handler (their own declarations win),
    so the OpenAPI schema lists every status a route can answer with and its problem shape; a
    204 is declared without a body."""
    for handler in handlers:
        declared = dict(handler.responses or {})
        for status, description in COMMON_PROBLEMS.items():
            declared.setdefault(status, problem_spec(description))
        if getattr(handler, "status_code", None) == 204:  # a `Response[None]` would be documented as JSON null
            declared.setdefault(204, ResponseSpec(data_container=None, description="No content."))
        handler.responses = declared


_DESCRIPTIONS = {
    401: "Not signed in, or the credentials are not valid.",
    402: "The plan's allowance is used up.",
    403: "Signed in, but not allowed (CSRF token missing, email not verified, account restricted).",
    404: "No such resource (or it belongs to another account).",
    409: "Conflicts with the current state.",
    413: "The request is too large.",
    429: "Too many requests; `Retry-After` says when to retry.",
    503: "A dependency is unavailable; retry later.",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of the problem responses a route may return."""
    return {status: problem_spec(_DESCRIPTIONS.get(status, HTTPStatus(status).phrase)) for status in statuses}


field_errors = _field_errors
"""The bad fields of a validation error (the OpenAI-compatible API names the first as ``param``)."""
