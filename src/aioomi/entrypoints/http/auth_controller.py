"""Sign-up, sign-in, sign-out, email verification, password reset and Google sign-in."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from litestar.response import Redirect

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound, Unauthenticated
from aioomi.domain.usecases.auth_support import SignedIn
from aioomi.domain.usecases.sign_up import SignUpRequest
from aioomi.domain.model.secrets import same_secret
from aioomi.entrypoints.http.agents_controller import every_bad_field_public
from aioomi.entrypoints.http.auth import (
    GOOGLE_PATH,
    OIDC_STATE_COOKIE,
    clear_session_cookie,
    client_info,
    oidc_state_cookie,
    provide_principal,
    session_cookie,
)
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_accounts import (
    Accepted,
    AccountOut,
    ChangePasswordIn,
    EmailIn,
    PolicyOut,
    ResetConfirmIn,
    RevokedCount,
    SessionOut,
    SignInIn,
    SignUpIn,
    TokenIn,
    WhoAmI,
)

GOOGLE_CALLBACK = "/api/v1/auth/google/callback"


def _signed_in(request: Request[Any, Any, Any], state: State, signed_in: SignedIn) -> Response[SessionOut]:
    lifetime = state.container.session_policy().absolute_lifetime
    body = SessionOut(
        account=AccountOut.of(signed_in.account),
        session_id=signed_in.session.id,
        csrf_token=signed_in.session.csrf_token,
        expires_at=signed_in.session.expires_at,
    )
    return Response(body, cookies=[session_cookie(request, signed_in.token, lifetime)])


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @get("/policy", summary="The privacy policy version that sign-up must accept")
    async def policy(self, state: State) -> PolicyOut:
        return PolicyOut(version=(await state.container.policy_status()(None)).current.version)

    @post("/signup", status_code=202, summary="Create an account; a verification link is e-mailed",
          responses=problems(429), dependencies={"checked": every_bad_field_public(SignUpIn)})
    async def sign_up(self, request: Request, state: State, data: JSONBody[SignUpIn],
                      checked: NamedDependency[None]) -> Accepted:
        await state.container.sign_up()(
            SignUpRequest(email=data.email, full_name=data.full_name, password=data.password, adult=data.adult,
                          accepted_policy_version=data.accepted_policy_version),
            client_info(request),
        )
        return Accepted(status="verification_sent",
                        detail="If the address can be used, a link to confirm it is on its way.")

    @post("/verify-email", status_code=200, summary="Confirm an email with the link's token; signs in",
          responses=problems(403))
    async def verify_email(self, request: Request, state: State, data: JSONBody[TokenIn]) -> Response[SessionOut]:
        return _signed_in(request, state, await state.container.verify_email()(data.token, client_info(request)))

    @post("/verify-email/resend", status_code=202, summary="Send a new verification link", responses=problems(429))
    async def resend_verification(self, state: State, data: JSONBody[EmailIn]) -> Accepted:
        await state.container.resend_verification()(data.email)
        return Accepted(status="verification_sent",
                        detail="If the address belongs to an unverified account, a new link is on its way.")

    @post("/sign-in", status_code=200, summary="Sign in with email and password; sets the session cookie",
          responses=problems(401, 403, 429))
    async def sign_in(self, request: Request, state: State, data: JSONBody[SignInIn]) -> Response[SessionOut]:
        return _signed_in(request, state, await state.container.sign_in()(data.email, data.password, client_info(request)))

    @post("/sign-out", status_code=204, summary="End this session", responses=problems(401, 403),
          dependencies={"principal": Provide(provide_principal)})
    async def sign_out(self, state: State, principal: NamedDependency[Principal]) -> Response[None]:
        await state.container.sign_out()(principal)
        return clear_session_cookie(Response(None, status_code=204))

    @post("/sign-out-everywhere", status_code=200, summary="End every session of the account",
          responses=problems(401, 403), dependencies={"principal": Provide(provide_principal)})
    async def sign_out_everywhere(self, state: State, principal: NamedDependency[Principal]) -> Response[RevokedCount]:
        count = await state.container.sign_out_everywhere()(principal)
        return clear_session_cookie(Response(RevokedCount(revoked=count)))

    @get("/session", summary="Who is calling, and the CSRF token of the session",
         responses=problems(401, 403), dependencies={"principal": Provide(provide_principal)})
    async def session(self, principal: NamedDependency[Principal]) -> WhoAmI:
        return WhoAmI(
            account_id=principal.account_id,
            via="session" if principal.via_cookie else "api_key",
            session_id=principal.session_id,
            api_key_id=principal.api_key_id,
            csrf_token=principal.csrf_token,
        )

    @post("/password-reset", status_code=202, summary="E-mail a password reset link", responses=problems(429))
    async def request_password_reset(self, request: Request, state: State, data: JSONBody[EmailIn]) -> Accepted:
        await state.container.request_password_reset()(data.email, client_info(request))
        return Accepted(status="reset_sent", detail="If the address is registered, a reset link is on its way.")

    @post("/password-reset/confirm", status_code=204, summary="Set a new password with the link's token")
    async def reset_password(self, request: Request, state: State, data: JSONBody[ResetConfirmIn]) -> None:
        await state.container.reset_password()(data.token, data.new_password, client_info(request))

    @post("/password", status_code=204, summary="Change the password; other sessions are signed out",
          responses=problems(401, 403), dependencies={"principal": Provide(provide_principal)})
    async def change_password(self, state: State, principal: NamedDependency[Principal], data: JSONBody[ChangePasswordIn]) -> None:
        await state.container.change_password()(principal, data.current_password, data.new_password)

    @get("/google/start", status_code=302, summary="Start signing in with Google (redirects to Google)",
         responses=problems(404, 503))
    async def google_start(
        self,
        request: Request,
        state: State,
        adult: Annotated[bool, QueryParameter(description="Confirms 18+ (needed to create an account)")] = False,
        accepted_policy_version: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Redirect:
        if state.container.identity_provider() is None:
            raise NotFound("Google sign-in is not configured.", code="google_sign_in_disabled")
        started = await state.container.begin_google_sign_in()(
            state.container.settings().base_url + GOOGLE_CALLBACK, adult=adult,
            accepted_policy_version=accepted_policy_version,
        )
        return Redirect(started.url, status_code=302, cookies=[oidc_state_cookie(request, started.state)])

    @get("/google/callback", status_code=303, summary="Google redirects here; sets the session cookie",
         responses=problems(401, 404, 503))
    async def google_callback(
        self,
        request: Request,
        state: State,
        code: Annotated[str | None, QueryParameter(max_length=2000)] = None,
        state_param: Annotated[str | None, QueryParameter(name="state", max_length=500)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Redirect:
        if state.container.identity_provider() is None:
            raise NotFound("Google sign-in is not configured.", code="google_sign_in_disabled")
        if error or not code or not state_param:
            raise Unauthenticated("Google sign-in was cancelled or failed.", code="oidc_cancelled")
        started_here = request.cookies.get(OIDC_STATE_COOKIE, "")
        if not started_here or not same_secret(started_here, state_param):
            raise Unauthenticated("This sign-in was not started in this browser; start again.",
                                  code="oidc_state_invalid")
        signed_in = await state.container.complete_google_sign_in()(
            state=state_param, code=code, redirect_uri=state.container.settings().base_url + GOOGLE_CALLBACK,
            client=client_info(request),
        )
        lifetime = state.container.session_policy().absolute_lifetime
        response = Redirect("/", status_code=303, cookies=[session_cookie(request, signed_in.token, lifetime)])
        response.delete_cookie(OIDC_STATE_COOKIE, path=GOOGLE_PATH)
        return response
