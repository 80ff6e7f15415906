"""Who is calling: the owner session cookie or an API key, plus CSRF protection for cookies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie, State

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import Forbidden, Unauthenticated
from aioomi.domain.model.secrets import same_secret
from aioomi.domain.usecases.auth_support import ClientInfo

SESSION_COOKIE = "aioomi_session"
OIDC_STATE_COOKIE = "aioomi_oidc_state"
GOOGLE_PATH = "/api/v1/auth/google"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_principal(request: Request[Any, Any, Any], state: State) -> Principal:
    """Authenticate the request: ``Authorization: Bearer <api key>`` or the session cookie.

    A cookie-authenticated request with an unsafe method must also carry the session's CSRF
    token in ``X-CSRF-Token`` (a cross-site form cannot read it); API keys need none.
    """
    authenticate = state.container.authenticate()
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("Use `Authorization: Bearer <API key>`.", code="invalid_authorization")
        return _logged(request, await authenticate.api_key(secret.strip()))
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("Sign in, or send an API key.", code="unauthenticated")
    principal = await authenticate.session(token)
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or principal.csrf_token is None or not same_secret(sent, principal.csrf_token):
            raise Forbidden("Missing or wrong X-CSRF-Token header.", code="csrf_failed")
    return _logged(request, principal)


def _logged(request: Request[Any, Any, Any], principal: Principal) -> Principal:
    """Name the account for the API request log (``RequestLogMiddleware`` reads the scope state)."""
    request.scope.setdefault("state", {})["log_account_id"] = principal.account_id
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
