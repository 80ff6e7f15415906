"""Who is calling: the owner session cookie or an API key, plus CSRF protection for cookies."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency

from aioomi.domain.model.accounts import Principal, Scope, SessionRequired, ensure_scope
from aioomi.domain.model.errors import Forbidden, Unauthenticated
from aioomi.domain.model.secrets import same_secret
from aioomi.domain.usecases.accounts.require_recent_session import RequireRecentSession
from aioomi.domain.usecases.auth_support import ClientInfo
from aioomi.domain.usecases.authenticate import ApiKeyCredential, Authenticate, SessionCredential

SESSION_COOKIE = "aioomi_session"
DEVICE_COOKIE = "aioomi_device"
AUTH_PATH = "/api/v1/auth"
OIDC_STATE_COOKIE = "aioomi_oidc_state"
GOOGLE_PATH = "/api/v1/auth/google"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Which scope an API key needs on each owner route: the first prefix of the route's template
# that matches names the resource; safe methods need its ``read`` scope, the others its
# ``write`` scope (read-only POSTs are listed apart). A route matching no prefix — the account,
# its sessions and keys, sign-in, privacy rights — is never open to an API key.
_RESOURCE_OF_ROUTE: tuple[tuple[str, str], ...] = (
    ("/api/v1/agents/{agent_id}/documents", "knowledge"),
    ("/api/v1/agents/{agent_id}/knowledge", "knowledge"),
    ("/api/v1/agents/{agent_id}/search", "knowledge"),
    ("/api/v1/agents/{agent_id}/sources", "knowledge"),
    ("/api/v1/agents/{agent_id}/qa-pairs", "knowledge"),
    ("/api/v1/agents/{agent_id}/sessions", "conversations"),
    ("/api/v1/agents/{agent_id}/chat-retention", "conversations"),
    ("/api/v1/agents/{agent_id}/lead-form", "agents"),
    ("/api/v1/leads", "conversations"),
    ("/api/v1/agents/{agent_id}/feedback", "conversations"),
    ("/api/v1/agents/{agent_id}/curated-answers", "knowledge"),
    ("/api/v1/agents/{agent_id}/test-questions", "knowledge"),
    ("/api/v1/agents/{agent_id}/test-runs", "knowledge"),
    ("/api/v1/agents/{agent_id}/question-groups", "conversations"),
    ("/api/v1/agents/{agent_id}/conversations", "conversations"),
    ("/api/v1/question-groups", "conversations"),
    ("/api/v1/agents", "agents"),
    ("/api/v1/chat-sessions", "conversations"),
    ("/api/v1/visitors", "conversations"),
    ("/api/v1/handoffs", "conversations"),
    ("/api/v1/analytics", "conversations"),
    ("/api/v1/usage", "usage"),
    ("/api/v1/billing", "usage"),
    ("/v1/chat/completions", "conversations"),
    ("/v1/models", "agents"),
)
_PARAMETER_TYPE = re.compile(r":[^}]*\}")
_READ_ONLY_POSTS = frozenset({"/api/v1/agents/{agent_id}/search"})
_OPEN_TO_EVERY_KEY = frozenset({"/api/v1/auth/session"})  # "who am I", with the key's scopes


def required_scope(path_template: str, method: str) -> Scope | None:
    """The scope an API key needs for ``method`` on the route ``path_template`` (with or without
    its parameters' types); ``None`` when no API key may call it at all."""
    path_template = _PARAMETER_TYPE.sub("}", path_template)
    for prefix, resource in _RESOURCE_OF_ROUTE:
        if path_template == prefix or path_template.startswith(prefix + "/"):
            read = method in _SAFE_METHODS or path_template in _READ_ONLY_POSTS
            return Scope(f"{resource}:{'read' if read else 'write'}")
    return None


def _check_key_scope(request: Request[Any, Any, Any], principal: Principal) -> None:
    template = _PARAMETER_TYPE.sub("}", str(request.scope.get("path_template", request.url.path)))
    if template in _OPEN_TO_EVERY_KEY:
        return
    scope = required_scope(template, request.method)
    if scope is None:
        raise SessionRequired("API keys cannot reach this route: sign in with a browser session.")
    ensure_scope(principal, scope)


async def provide_principal(request: Request[Any, Any, Any], authenticate: NamedDependency[Authenticate]) -> Principal:
    """Authenticate the request: ``Authorization: Bearer <api key>`` or the session cookie.

    A cookie-authenticated request with an unsafe method must also carry the session's CSRF
    token in ``X-CSRF-Token`` (a cross-site form cannot read it); API keys need none, but they
    reach only the routes their scopes name (``403 insufficient_scope``) and never the account's
    own routes (``403 session_required``).
    """
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("Use `Authorization: Bearer <API key>`.", code="invalid_authorization")
        principal = await authenticate(ApiKeyCredential(secret=secret.strip()))
        _check_key_scope(request, principal)
        return _logged(request, principal)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("Sign in, or send an API key.", code="unauthenticated")
    principal = await authenticate(SessionCredential(token=token))
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or principal.csrf_token is None or not same_secret(sent, principal.csrf_token):
            raise Forbidden("Missing or wrong X-CSRF-Token header.", code="csrf_failed")
    return _logged(request, principal)


async def provide_recent_session(
    request: Request[Any, Any, Any],
    authenticate: NamedDependency[Authenticate],
    require_recent_session: NamedDependency[RequireRecentSession],
) -> Principal:
    """:func:`provide_principal`, for account-security routes: a browser session whose owner
    signed in or re-entered their password within the re-authentication window
    (``403 session_required`` for an API key, ``403 reauthentication_required`` when stale)."""
    principal = await provide_principal(request, authenticate)
    return await require_recent_session(principal)


async def optional_session_owner(
    request: Request[Any, Any, Any], authenticate: NamedDependency[Authenticate]
) -> str | None:
    """The account signed in in this browser (by its session cookie), if any."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return (await authenticate(SessionCredential(token=token))).account_id
    except Unauthenticated:
        return None


def _logged(request: Request[Any, Any, Any], principal: Principal) -> Principal:
    """Name the account for the API request log (``RequestLogMiddleware`` reads the scope state)."""
    request.scope.setdefault("state", {})["log_account_id"] = principal.workspace_id
    return principal


def client_info(request: Request[Any, Any, Any]) -> ClientInfo:
    """The caller's IP and user agent (the policy's technical data)."""
    ip = request.client.host if request.client else None
    return ClientInfo(ip=ip, user_agent=request.headers.get("user-agent"))


def _secure(request: Request[Any, Any, Any], mode: str) -> bool:
    if mode == "always":
        return True
    if mode == "never":
        return False
    # The scheme people reach Aioomi by: AIOOMI_PUBLIC_URL's, else the request's own (https when
    # the server terminates TLS or a trusted proxy says so in X-Forwarded-Proto); never the Host
    # header, which the client writes.
    public_url = request.app.state.container.settings().public_url
    return (urlsplit(public_url).scheme if public_url else request.scope.get("scheme")) == "https"


def session_cookie(request: Request[Any, Any, Any], token: str, lifetime: timedelta) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=int(lifetime.total_seconds()),
        path="/",
        httponly=True,
        secure=_secure(request, request.app.state.container.settings().session_cookie_secure),
        samesite="lax",
    )


def device_cookie(request: Request[Any, Any, Any], token: str, lifetime: timedelta) -> Cookie:
    """Marks a browser that signed in to an account with its password (OWASP's device cookie):
    sign-in attempts from it are counted apart from strangers'. Only sign-in routes see it."""
    return Cookie(
        key=DEVICE_COOKIE,
        value=token,
        max_age=int(lifetime.total_seconds()),
        path=AUTH_PATH,
        httponly=True,
        secure=_secure(request, request.app.state.container.settings().session_cookie_secure),
        samesite="strict",
    )


def clear_session_cookie(response: Response[Any]) -> Response[Any]:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def oidc_state_cookie(request: Request[Any, Any, Any], state: str) -> Cookie:
    """Binds a Google sign-in to the browser that started it. ``SameSite=Lax`` cookies come
    along on the top-level redirect back from Google; only the Google routes see it."""
    return Cookie(
        key=OIDC_STATE_COOKIE,
        value=state,
        max_age=600,
        path=GOOGLE_PATH,
        httponly=True,
        secure=_secure(request, request.app.state.container.settings().session_cookie_secure),
        samesite="lax",
    )
