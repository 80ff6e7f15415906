"""The domain's errors: one root with a stable machine ``code``.

Entry points map each class to a transport status (HTTP, exit code); the ``code`` travels
unchanged to clients, so it is part of the public API and never renamed.
"""

from __future__ import annotations


class AioomiError(Exception):
    """Root of every error that crosses a layer. ``code`` is stable and machine-readable."""

    code: str = "aioomi_error"
    title: str = "Request failed"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        super().__init__(self.detail)


class NotFound(AioomiError):
    """The resource does not exist, or belongs to someone else (the two are indistinguishable)."""

    code = "not_found"
    title = "Resource not found"


class Conflict(AioomiError):
    """The request conflicts with the current state (duplicate, wrong state)."""

    code = "conflict"
    title = "Conflict with the current state"


class InvalidInput(AioomiError):
    """Input that passed the edge's shape checks but breaks a domain rule."""

    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, detail: str | None = None, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.field = field


class Unauthenticated(AioomiError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(AioomiError):
    code = "forbidden"
    title = "Not allowed"


class RateLimited(AioomiError):
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after_s = retry_after_s


class PermanentFailure(AioomiError):
    """A failure that retrying cannot change (a hostile or oversized input hit a limit). Mixed
    into the error's class; the worker records a job that raises it as failed at once, without
    the retries other failures get."""

    code = "permanent_failure"
    title = "The work cannot be done"


class Unavailable(AioomiError):
    """A dependency (database, model provider) cannot be reached right now; retrying may help."""

    code = "service_unavailable"
    title = "A dependency is unavailable"
