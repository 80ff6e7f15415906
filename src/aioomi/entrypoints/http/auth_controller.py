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
from aioomi.domain.model.secrets import same_secret
from aioomi.domain.usecases.accounts.begin_google_sign_in import BeginGoogleSignIn
from aioomi.domain.usecases.accounts.complete_google_sign_in import CompleteGoogleSignIn
from aioomi.domain.usecases.accounts.request_password_reset import RequestPasswordReset
from aioomi.domain.usecases.accounts.reset_password import ResetPassword
from aioomi.domain.usecases.accounts.sign_out import SignOut
from aioomi.domain.usecases.accounts.sign_out_everywhere import SignOutEverywhere
from aioomi.domain.usecases.auth_support import SignedIn
from aioomi.domain.usecases.authenticate import Authenticate
from aioomi.domain.usecases.cancel_email_change import CancelEmailChange
from aioomi.domain.usecases.change_password import ChangePassword
from aioomi.domain.usecases.privacy.get_policy_status import GetPolicyStatus
from aioomi.domain.usecases.reauthenticate import Reauthenticate
from aioomi.domain.usecases.resend_verification import ResendVerification
from aioomi.domain.usecases.sign_in import SignInWithPassword
from aioomi.domain.usecases.sign_up import SignUp, SignUpRequest
from aioomi.domain.usecases.verify_email import VerifyEmail
from aioomi.entrypoints.http.agents_controller import every_bad_field_public
from aioomi.entrypoints.http.auth import (
    DEVICE_COOKIE,
    GOOGLE_PATH,
    OIDC_STATE_COOKIE,
    clear_session_cookie,
    client_info,
    device_cookie,
    oidc_state_cookie,
    optional_session_owner,
    provide_principal,
    provide_recent_session,
    session_cookie,
)
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_accounts import (
    Accepted,
    AccountOut,
    ChangePasswordIn,
    EmailChangeCancelledOut,
    EmailConfirmedOut,
    EmailIn,
    PolicyOut,
    Reauthenticated,
    ReauthenticateIn,
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
    cookies = [session_cookie(request, signed_in.token, lifetime)]
    if signed_in.device_token is not None:
        cookies.append(
            device_cookie(request, signed_in.device_token, state.container.session_policy().trusted_device_lifetime)
        )
    return Response(body, cookies=cookies)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @get("/policy", summary="The privacy policy version that sign-up must accept")
    async def policy(self, policy_status: NamedDependency[GetPolicyStatus]) -> PolicyOut:
        return PolicyOut(version=(await policy_status(None)).current.version)

    @post(
        "/signup",
        status_code=202,
        summary="Create an account; a verification link is e-mailed",
        responses=problems(429),
        dependencies={"checked": every_bad_field_public(SignUpIn)},
    )
    async def sign_up(
        self,
        sign_up: NamedDependency[SignUp],
        request: Request,
        data: JSONBody[SignUpIn],
        checked: NamedDependency[None],
    ) -> Accepted:
        await sign_up(
            SignUpRequest(
                email=data.email,
                full_name=data.full_name,
                password=data.password,
                adult=data.adult,
                accepted_policy_version=data.accepted_policy_version,
                invitation_token=data.invitation_token,
            ),
            client_info(request),
        )
        return Accepted(
            status="verification_sent", detail="If the address can be used, a link to confirm it is on its way."
        )

    @post(
        "/verify-email",
        status_code=200,
        summary="Confirm an email with the link's token; a sign-up link signs in, an email-change link only confirms",
        responses=problems(403),
    )
    async def verify_email(
        self,
        authenticate: NamedDependency[Authenticate],
        verify_email: NamedDependency[VerifyEmail],
        request: Request,
        state: State,
        data: JSONBody[TokenIn],
    ) -> Response[EmailConfirmedOut]:
        confirmed = await verify_email(
            data.token, client_info(request), signed_in_as=await optional_session_owner(request, authenticate)
        )
        if confirmed.signed_in is None:
            return Response(EmailConfirmedOut(account=AccountOut.of(confirmed.account), signed_in=False))
        session = confirmed.signed_in.session
        lifetime = state.container.session_policy().absolute_lifetime
        return Response(
            EmailConfirmedOut(
                account=AccountOut.of(confirmed.account),
                signed_in=True,
                session_id=session.id,
                csrf_token=session.csrf_token,
                expires_at=session.expires_at,
            ),
            cookies=[session_cookie(request, confirmed.signed_in.token, lifetime)],
        )

    @post(
        "/email-change/cancel",
        status_code=200,
        summary="Cancel (or undo) an email change with the link "
        "mailed to the old address; signs out every session and API key",
    )
    async def cancel_email_change(
        self, cancel_email_change: NamedDependency[CancelEmailChange], data: JSONBody[TokenIn]
    ) -> Response[EmailChangeCancelledOut]:
        cancelled = await cancel_email_change(data.token)
        body = EmailChangeCancelledOut(
            email=cancelled.account.email,
            restored=cancelled.restored,
            sessions_revoked=cancelled.sessions_revoked,
            api_keys_revoked=cancelled.api_keys_revoked,
        )
        return clear_session_cookie(Response(body))

    @post("/verify-email/resend", status_code=202, summary="Send a new verification link", responses=problems(429))
    async def resend_verification(
        self, resend_verification: NamedDependency[ResendVerification], data: JSONBody[EmailIn]
    ) -> Accepted:
        await resend_verification(data.email)
        return Accepted(
            status="verification_sent",
            detail="If the address belongs to an unverified account, a new link is on its way.",
        )

    @post(
        "/sign-in",
        status_code=200,
        summary="Sign in with email and password; sets the session cookie",
        responses=problems(401, 403, 429),
    )
    async def sign_in(
        self, sign_in: NamedDependency[SignInWithPassword], request: Request, state: State, data: JSONBody[SignInIn]
    ) -> Response[SessionOut]:
        signed_in = await sign_in(
            data.email, data.password, client_info(request), device_token=request.cookies.get(DEVICE_COOKIE)
        )
        return _signed_in(request, state, signed_in)

    @post(
        "/reauthenticate",
        status_code=200,
        summary="Confirm the password in this session before account "
        "security (e-mail, password, API keys, sessions, export, erasure)",
        responses=problems(401, 403, 429),
        dependencies={"principal": Provide(provide_principal)},
    )
    async def reauthenticate(
        self,
        reauthenticate: NamedDependency[Reauthenticate],
        state: State,
        principal: NamedDependency[Principal],
        data: JSONBody[ReauthenticateIn],
    ) -> Reauthenticated:
        at = await reauthenticate(principal, data.password)
        return Reauthenticated(
            authenticated_at=at, valid_until=at + state.container.session_policy().reauthentication_window
        )

    @post(
        "/sign-out",
        status_code=204,
        summary="End this session",
        responses=problems(401, 403),
        dependencies={"principal": Provide(provide_principal)},
    )
    async def sign_out(
        self, sign_out: NamedDependency[SignOut], principal: NamedDependency[Principal]
    ) -> Response[None]:
        await sign_out(principal)
        return clear_session_cookie(Response(None, status_code=204))

    @post(
        "/sign-out-everywhere",
        status_code=200,
        summary="End every session and revoke every API key of the account (re-authentication required)",
        responses=problems(401, 403),
        dependencies={"principal": Provide(provide_recent_session)},
    )
    async def sign_out_everywhere(
        self, sign_out_everywhere: NamedDependency[SignOutEverywhere], principal: NamedDependency[Principal]
    ) -> Response[RevokedCount]:
        ended = await sign_out_everywhere(principal)
        return clear_session_cookie(Response(RevokedCount(revoked=ended.sessions, revoked_api_keys=ended.api_keys)))

    @get(
        "/session",
        summary="Who is calling, and the CSRF token of the session",
        responses=problems(401, 403),
        dependencies={"principal": Provide(provide_principal)},
    )
    async def session(self, principal: NamedDependency[Principal]) -> WhoAmI:
        return WhoAmI(
            account_id=principal.account_id,
            via="session" if principal.via_cookie else "api_key",
            session_id=principal.session_id,
            api_key_id=principal.api_key_id,
            csrf_token=principal.csrf_token,
            scopes=None if principal.scopes is None else sorted(str(s) for s in principal.scopes),
            authenticated_at=principal.authenticated_at,
            workspace_id=principal.workspace_id,
            role=principal.role,
        )

    @post("/password-reset", status_code=202, summary="E-mail a password reset link", responses=problems(429))
    async def request_password_reset(
        self, request_password_reset: NamedDependency[RequestPasswordReset], request: Request, data: JSONBody[EmailIn]
    ) -> Accepted:
        await request_password_reset(data.email, client_info(request))
        return Accepted(status="reset_sent", detail="If the address is registered, a reset link is on its way.")

    @post("/password-reset/confirm", status_code=204, summary="Set a new password with the link's token")
    async def reset_password(
        self, reset_password: NamedDependency[ResetPassword], request: Request, data: JSONBody[ResetConfirmIn]
    ) -> None:
        await reset_password(data.token, data.new_password, client_info(request), revoke_api_keys=data.revoke_api_keys)

    @post(
        "/password",
        status_code=204,
        summary="Change the password (re-authentication required); other sessions are signed out",
        responses=problems(401, 403),
        dependencies={"principal": Provide(provide_recent_session)},
    )
    async def change_password(
        self,
        change_password: NamedDependency[ChangePassword],
        principal: NamedDependency[Principal],
        data: JSONBody[ChangePasswordIn],
    ) -> None:
        await change_password(principal, data.current_password, data.new_password, revoke_api_keys=data.revoke_api_keys)

    @get(
        "/google/start",
        status_code=302,
        summary="Start signing in with Google (redirects to Google)",
        responses=problems(404, 503),
    )
    async def google_start(
        self,
        begin_google_sign_in: NamedDependency[BeginGoogleSignIn],
        request: Request,
        state: State,
        adult: Annotated[bool, QueryParameter(description="Confirms 18+ (needed to create an account)")] = False,
        accepted_policy_version: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Redirect:
        if state.container.identity_provider() is None:
            raise NotFound("Google sign-in is not configured.", code="google_sign_in_disabled")
        started = await begin_google_sign_in(
            state.container.settings().base_url + GOOGLE_CALLBACK,
            adult=adult,
            accepted_policy_version=accepted_policy_version,
        )
        return Redirect(started.url, status_code=302, cookies=[oidc_state_cookie(request, started.state)])

    @get(
        "/google/callback",
        status_code=303,
        summary="Google redirects here; sets the session cookie",
        responses=problems(401, 404, 503),
    )
    async def google_callback(
        self,
        complete_google_sign_in: NamedDependency[CompleteGoogleSignIn],
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
            raise Unauthenticated(
                "This sign-in was not started in this browser; start again.", code="oidc_state_invalid"
            )
        signed_in = await complete_google_sign_in(
            state=state_param,
            code=code,
            redirect_uri=state.container.settings().base_url + GOOGLE_CALLBACK,
            client=client_info(request),
        )
        lifetime = state.container.session_policy().absolute_lifetime
        response = Redirect("/", status_code=303, cookies=[session_cookie(request, signed_in.token, lifetime)])
        response.delete_cookie(OIDC_STATE_COOKIE, path=GOOGLE_PATH)
        return response
