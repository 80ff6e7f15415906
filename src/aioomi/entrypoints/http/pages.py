"""The owner dashboard: server-rendered pages (Jinja) on the same app as the API.

Pages read through the same use cases as the JSON API and show the API's own shapes (the DTOs
of ``schemas_*``); every change is made by the page's script calling the JSON API with the
session cookie and the ``X-CSRF-Token`` header. So there is no business logic here: a page is
a use-case call rendered as HTML. Signed-out visitors are sent to ``/sign-in``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, overload
from urllib.parse import quote, urlencode, urljoin, urlsplit

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from aioomi.domain.model.accounts import Account, Principal, Scope
from aioomi.domain.model.agents import AgentName
from aioomi.domain.model.conversation_review import MAX_SEARCH_CHARS, FeedbackFilter, ReviewFilters
from aioomi.domain.model.errors import AioomiError, Forbidden, Unauthenticated
from aioomi.domain.model.workspaces import ROLE_PERMISSIONS, Permission, permits
from aioomi.domain.usecases.accounts.get_account import GetAccount
from aioomi.domain.usecases.accounts.list_api_keys import ListApiKeys
from aioomi.domain.usecases.accounts.list_sessions import ListSessions
from aioomi.domain.usecases.accounts.require_recent_session import RequireRecentSession
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.agents.list_agent_names import ListAgentNames
from aioomi.domain.usecases.agents.list_agents import ListAgents
from aioomi.domain.usecases.analytics.get_analytics import GetAnalytics
from aioomi.domain.usecases.authenticate import Authenticate, SessionCredential
from aioomi.domain.usecases.billing.get_billing_overview import GetBillingOverview
from aioomi.domain.usecases.billing.list_plans import ListPlans
from aioomi.domain.usecases.chat.get_chat_session import GetChatSession
from aioomi.domain.usecases.conversation_review.review_conversations import ReviewConversations
from aioomi.domain.usecases.curated.get_curated_settings import GetCuratedSettings
from aioomi.domain.usecases.documents.list_documents import ListDocuments
from aioomi.domain.usecases.knowledge.get_knowledge_base import GetKnowledgeBase
from aioomi.domain.usecases.list_qa_pairs import ListQaPairs
from aioomi.domain.usecases.list_sources import ListSources
from aioomi.domain.usecases.preview_email_link import PreviewEmailLink
from aioomi.domain.usecases.privacy.get_policy_status import GetPolicyStatus
from aioomi.domain.usecases.privacy.get_privacy_overview import GetPrivacyOverview
from aioomi.domain.usecases.privacy.list_audit_log import ListAuditLog
from aioomi.domain.usecases.privacy.list_exports import ListExports
from aioomi.domain.usecases.refused_origins import ListRefusedOrigins
from aioomi.domain.usecases.request_log import ListRequestLog
from aioomi.domain.usecases.usage.get_usage_report import GetUsageReport
from aioomi.domain.usecases.workspaces.list_my_workspaces import ListMyWorkspaces, MyWorkspace
from aioomi.entrypoints.http.auth import SESSION_COOKIE
from aioomi.entrypoints.http.conversation_review_controller import ConversationRowOut
from aioomi.entrypoints.http.pages_charts import bar_chart
from aioomi.entrypoints.http.privacy_pages import PrivacyPolicyPages, load_policy
from aioomi.entrypoints.http.problems import bounded_day, status_for
from aioomi.entrypoints.http.request_log_controller import log_query
from aioomi.entrypoints.http.schemas_accounts import AccountOut, ApiKeyOut, OwnerSessionOut
from aioomi.entrypoints.http.schemas_agents import AgentOut
from aioomi.entrypoints.http.schemas_billing import BillingUsageOut, PlanOut
from aioomi.entrypoints.http.schemas_chat import MessageOut
from aioomi.entrypoints.http.schemas_chat import OwnerSessionOut as ChatSessionOut
from aioomi.entrypoints.http.schemas_curated import CuratedSettingsOut
from aioomi.entrypoints.http.schemas_documents import DocumentOut, KnowledgeBaseOut
from aioomi.entrypoints.http.schemas_qa import QaPairOut
from aioomi.entrypoints.http.schemas_sources import SourceOut

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
DASHBOARD_STATIC = HERE / "static" / "dashboard"
STATIC_PATH = "/static/dashboard"
HOME = "/dashboard/agents"
NO_STORE = CacheControlHeader(no_store=True)

# Privacy self-service endpoints the account page offers when the app serves them
# (method, path); an action whose endpoint is missing is shown as not available.
PRIVACY_ACTIONS: dict[str, tuple[str, str]] = {
    "export": ("POST", "/api/v1/account/export"),
    "exports": ("GET", "/api/v1/account/exports"),
    "privacy": ("GET", "/api/v1/account/privacy"),
    "restriction": ("PUT", "/api/v1/account/privacy/restriction"),
    "objection": ("PUT", "/api/v1/account/privacy/objection"),
    "delete": ("DELETE", "/api/v1/account"),
    "audit": ("GET", "/api/v1/account/audit-log"),
    "policy": ("GET", "/api/v1/account/policy"),
    "accept_policy": ("POST", "/api/v1/account/policy/accept"),
}


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_setup)


def _setup(engine: JinjaTemplateEngine) -> None:
    engine.engine.globals.update(static=STATIC_PATH)
    engine.engine.filters.update(when=_when, day=_day, number=_number, money=_money, plural=_plural)


def static_files_router() -> Any:
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[DASHBOARD_STATIC],
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=300),
    )


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _day(value: datetime | date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def _number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


def _plural(count: int | None, noun: str, many: str | None = None) -> str:
    """``1 agent``, ``2 agents``, ``1,204 characters``: the count with the noun it needs."""
    if count is None:
        return "—"
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def _money(amount_minor: int, currency: str) -> str:
    return f"{amount_minor / 100:,.2f} {currency.upper()}"


# --- who is looking ----------------------------------------------------------------------------


class SignInRequired(Exception):
    """No valid owner session: the visitor goes to the sign-in page."""


@dataclass(frozen=True)
class Owner:
    principal: Principal
    account: AccountOut
    can: frozenset[str] = frozenset()
    """The permissions of the person's role in the current workspace (role-aware navigation)."""
    workspaces: tuple[MyWorkspace, ...] = ()
    """The person's workspaces, for the switcher."""


async def _principal(request: Request[Any, Any, Any], authenticate: Authenticate) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return await authenticate(SessionCredential(token=token))
    except (Unauthenticated, Forbidden):
        return None


async def provide_owner(
    request: Request[Any, Any, Any],
    authenticate: NamedDependency[Authenticate],
    get_account: NamedDependency[GetAccount],
    list_my_workspaces: NamedDependency[ListMyWorkspaces],
) -> Owner:
    principal = await _principal(request, authenticate)
    if principal is None:
        raise SignInRequired
    account: Account = await get_account(principal)
    return Owner(
        principal=principal,
        account=AccountOut.of(account),
        can=frozenset(str(p) for p in ROLE_PERMISSIONS[principal.role]),
        workspaces=tuple(await list_my_workspaces(principal)),
    )


def _to_sign_in(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/sign-in?next={quote(target, safe='')}", status_code=303)


def _error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if isinstance(error, AioomiError):
        status, detail = status_for(error), error.detail
        if isinstance(error, Unauthenticated):
            return _to_sign_in(request, error)
    elif isinstance(error, (NotFoundException, ValidationException)):
        status, detail = (
            (404, "There is nothing at this address.")
            if isinstance(error, NotFoundException)
            else (400, "The address has a bad parameter.")
        )
    else:
        raise error
    return Template("error.html", context={"status": status, "detail": detail, "owner": None}, status_code=status)


PAGE_ERRORS = {
    SignInRequired: _to_sign_in,
    AioomiError: _error_page,
    NotFoundException: _error_page,
    ValidationException: _error_page,
}


def _page(name: str, owner: Owner | None, **context: Any) -> Template:
    csrf = owner.principal.csrf_token if owner else None
    return Template(name, context={"owner": owner, "csrf_token": csrf, **context})


_PROBE_ORIGIN = "http://aioomi.invalid"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: ``target`` if it is a path on this origin, else the home.

    Browsers forgive a lot on the way to a URL: they drop tabs and newlines anywhere, turn
    backslashes into slashes, and read ``//host`` as another site, so ``/\t/evil.example`` lands
    on evil.example. Refused: any control or whitespace character (Unicode's too), a
    backslash, anything but a single leading ``/``, a scheme or a host once parsed, and
    whatever would resolve to another origin."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return HOME
    if "\\" in target or any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return HOME
    resolved = urlsplit(urljoin(_PROBE_ORIGIN + "/", target))
    if f"{resolved.scheme}://{resolved.netloc}" != _PROBE_ORIGIN:
        return HOME
    return target


# --- public pages ------------------------------------------------------------------------------

Next = Annotated[str | None, QueryParameter(name="next", max_length=2000)]
TokenParam = Annotated[str | None, QueryParameter(name="token", max_length=500)]
InvitationParam = Annotated[str | None, QueryParameter(name="invitation", max_length=500)]


FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" '
    b'fill="#2563eb"/><path d="M8 9h16a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-9l-5 4v-4H8a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2z" '
    b'fill="#fff"/></svg>'
)


class FaviconController(Controller):
    """Browsers ask for /favicon.ico whatever the page says: answer with the app's icon (SVG)."""

    include_in_schema = False

    @get("/favicon.ico", cache_control=CacheControlHeader(max_age=86400))
    async def favicon(self) -> Response[bytes]:
        return Response(FAVICON, media_type="image/svg+xml", headers={"X-Content-Type-Options": "nosniff"})


class PublicPages(Controller):
    """The front door: sign up, sign in, verify the email, reset the password."""

    path = "/"
    include_in_schema = False
    cache_control = NO_STORE
    before_request = load_policy  # type: ignore[assignment]  # a plain function, not a method: Litestar passes the request
    exception_handlers = PAGE_ERRORS  # type: ignore[assignment]

    @get("/")
    async def home(self, authenticate: NamedDependency[Authenticate], request: Request[Any, Any, Any]) -> Redirect:
        signed_in = await _principal(request, authenticate) is not None
        return Redirect(HOME if signed_in else "/sign-in", status_code=303)

    @get("/sign-in")
    async def sign_in(
        self,
        authenticate: NamedDependency[Authenticate],
        request: Request[Any, Any, Any],
        state: State,
        next_path: Next = None,
    ) -> Response[Any]:
        if await _principal(request, authenticate) is not None:
            return Redirect(safe_next(next_path), status_code=303)
        google = state.container.identity_provider() is not None
        return _page("sign_in.html", None, next=safe_next(next_path), google=google, title="Sign in")

    @get("/sign-up")
    async def sign_up(
        self,
        authenticate: NamedDependency[Authenticate],
        request: Request[Any, Any, Any],
        state: State,
        invitation: InvitationParam = None,
    ) -> Response[Any]:
        if await _principal(request, authenticate) is not None:
            return Redirect(HOME, status_code=303)
        google = state.container.identity_provider() is not None
        return _page("sign_up.html", None, google=google, invitation=invitation, title="Create your account")

    @get("/invitations/accept")
    async def accept_invitation(
        self,
        authenticate: NamedDependency[Authenticate],
        get_account: NamedDependency[GetAccount],
        list_my_workspaces: NamedDependency[ListMyWorkspaces],
        request: Request[Any, Any, Any],
        token: TokenParam = None,
    ) -> Template:
        """An invitation's link: accept when signed in, else sign up (or sign in) first."""
        owner = None
        if await _principal(request, authenticate) is not None:
            owner = await provide_owner(request, authenticate, get_account, list_my_workspaces)
        return _page("accept_invitation.html", owner, token=token, title="Join a workspace")

    @get("/verify-email")
    async def verify_email(
        self,
        authenticate: NamedDependency[Authenticate],
        preview_email_link: NamedDependency[PreviewEmailLink],
        request: Request[Any, Any, Any],
        token: TokenParam = None,
    ) -> Template:
        # Name the address the link confirms, and refuse while another owner is signed in here:
        # a link someone else sent must not swap this browser's account (login CSRF).
        preview = await preview_email_link(token) if token else None
        signed_in = await _principal(request, authenticate)
        other_owner = preview is not None and signed_in is not None and signed_in.account_id != preview.account_id
        return _page(
            "verify_email.html",
            None,
            token=token or "",
            preview=preview,
            other_owner=other_owner,
            title="Confirm your email",
        )

    @get("/cancel-email-change")
    async def cancel_email_change(self, token: TokenParam = None) -> Template:
        return _page("cancel_email_change.html", None, token=token or "", title="Stop the email change")

    @get("/forgot-password")
    async def forgot_password(self) -> Template:
        return _page("forgot_password.html", None, title="Reset your password")

    @get("/reset-password")
    async def reset_password(self, token: TokenParam = None) -> Template:
        return _page("reset_password.html", None, token=token or "", title="Choose a new password")

    @get("/cancel-deletion")
    async def cancel_deletion(self, token: TokenParam = None) -> Template:
        return _page("cancel_deletion.html", None, token=token or "", title="Keep your account")


# --- the dashboard -----------------------------------------------------------------------------

AgentParam = Annotated[str | None, QueryParameter(name="agent_id", max_length=100)]
DayFrom = Annotated[date | None, QueryParameter(name="from")]
DayTo = Annotated[date | None, QueryParameter(name="to")]
CursorParam = Annotated[str | None, QueryParameter(name="cursor", max_length=500)]
Days = Annotated[int, QueryParameter(name="days", ge=7, le=365)]
AnalyticsDay = Annotated[str | None, QueryParameter(name="from", max_length=10)]
AnalyticsLastDay = Annotated[str | None, QueryParameter(name="to", max_length=10)]


@overload
def _start_of(day: date) -> datetime: ...
@overload
def _start_of(day: None) -> None: ...
@overload
def _start_of(day: date | None) -> datetime | None: ...
def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


async def _all_agents(list_agents: ListAgents, principal: Principal) -> list[AgentOut]:
    agents: list[AgentOut] = []
    cursor = None
    while True:
        page = await list_agents(principal, limit=100, cursor=cursor)
        agents += [AgentOut.of(a) for a in page.items]
        if page.next_cursor is None:
            return agents
        cursor = page.next_cursor


class DashboardPages(Controller):
    """The signed-in owner's pages."""

    path = "/dashboard"
    include_in_schema = False
    cache_control = NO_STORE
    dependencies = {"owner": Provide(provide_owner)}
    before_request = load_policy  # type: ignore[assignment]  # a plain function, not a method: Litestar passes the request
    exception_handlers = PAGE_ERRORS  # type: ignore[assignment]

    @get("/")
    async def index(self, owner: NamedDependency[Owner]) -> Redirect:
        return Redirect(HOME, status_code=303)

    @get("/agents")
    async def agents(self, list_agents: NamedDependency[ListAgents], owner: NamedDependency[Owner]) -> Template:
        agents = await _all_agents(list_agents, owner.principal)
        return _page("agents.html", owner, agents=agents, title="Agents", nav="agents")

    @get("/agents/{agent_id:str}")
    async def agent(
        self,
        list_refused_origins: NamedDependency[ListRefusedOrigins],
        get_agent: NamedDependency[GetAgent],
        request: Request[Any, Any, Any],
        owner: NamedDependency[Owner],
        agent_id: FromPath[str],
    ) -> Template:
        agent = AgentOut.of(await get_agent(owner.principal, agent_id))
        refused = await list_refused_origins(owner.principal, agent_id)
        base = str(request.base_url).rstrip("/")
        return _page(
            "agent.html",
            owner,
            agent=agent,
            base_url=base,
            refused=refused,
            title=agent.name,
            nav="agents",
            tab="settings",
        )

    @get("/agents/{agent_id:str}/knowledge")
    async def knowledge(
        self,
        list_documents: NamedDependency[ListDocuments],
        get_knowledge_base: NamedDependency[GetKnowledgeBase],
        get_agent: NamedDependency[GetAgent],
        list_sources: NamedDependency[ListSources],
        list_qa_pairs: NamedDependency[ListQaPairs],
        get_curated_settings: NamedDependency[GetCuratedSettings],
        state: State,
        owner: NamedDependency[Owner],
        agent_id: FromPath[str],
        cursor: CursorParam = None,
    ) -> Template:
        container = state.container
        agent = AgentOut.of(await get_agent(owner.principal, agent_id))
        page = await list_documents(owner.principal, agent_id, limit=100, cursor=cursor)
        base, totals = await get_knowledge_base(owner.principal, agent_id)
        sources = [SourceOut.of(o) for o in await list_sources(owner.principal, agent_id)]
        pairs = [QaPairOut.of(p) for p in await list_qa_pairs(owner.principal, agent_id)]
        return _page(
            "knowledge.html",
            owner,
            agent=agent,
            documents=[DocumentOut.of(d) for d in page.items],
            sources=sources,
            qa_pairs=pairs,
            curated=CuratedSettingsOut.of(await get_curated_settings(owner.principal, agent_id)),
            next_cursor=page.next_cursor,
            knowledge=KnowledgeBaseOut.of(base, totals, container.document_limits()),
            title=f"{agent.name}: knowledge",
            nav="agents",
            tab="knowledge",
        )

    @get("/conversations")
    async def conversations(
        self,
        list_agent_names: NamedDependency[ListAgentNames],
        review_conversations: NamedDependency[ReviewConversations],
        owner: NamedDependency[Owner],
        agent_id: AgentParam = None,
        since: DayFrom = None,
        until: DayTo = None,
        feedback: Annotated[Literal["", "any", "up", "down"], QueryParameter(name="feedback")] = "",
        unanswered: Annotated[bool, QueryParameter(name="unanswered")] = False,
        handed_off: Annotated[Literal["", "true", "false"], QueryParameter(name="handed_off")] = "",
        has_lead: Annotated[Literal["", "true", "false"], QueryParameter(name="has_lead")] = "",
        q: Annotated[str | None, QueryParameter(name="q", max_length=MAX_SEARCH_CHARS * 2)] = None,
        cursor: CursorParam = None,
    ) -> Template:
        """An agent's conversations with the review filters (a GET form): days, feedback,
        unanswered, handed off, has lead, and full-text search of the messages."""
        since, until = bounded_day(since, "from"), bounded_day(until, "to")
        agents = await list_agent_names(owner.principal)
        selected = next((a for a in agents if a.id == agent_id), agents[0] if agents else None)
        rows: list[ConversationRowOut] = []
        next_cursor = None
        flag = {"": None, "true": True, "false": False}
        text = (q or "").strip() or None
        filtering = bool(since or until or feedback or unanswered or handed_off or has_lead or text)
        if selected is not None:
            filters = ReviewFilters(
                since=_start_of(since),
                until=_start_of(until + timedelta(days=1)) if until else None,
                feedback=FeedbackFilter(feedback) if feedback else None,
                unanswered=unanswered,
                text=text,
                handed_off=flag[handed_off],
                has_lead=flag[has_lead],
            )
            page = await review_conversations(owner.principal, selected.id, filters, limit=50, cursor=cursor)
            rows, next_cursor = [ConversationRowOut.of(r) for r in page.items], page.next_cursor
        query = {
            "agent_id": selected.id if selected else "",
            "from": since.isoformat() if since else "",
            "to": until.isoformat() if until else "",
            "feedback": feedback,
            "unanswered": "true" if unanswered else "",
            "handed_off": handed_off,
            "has_lead": has_lead,
            "q": text or "",
        }
        return _page(
            "conversations.html",
            owner,
            agents=agents,
            selected=selected,
            sessions=rows,
            next_cursor=next_cursor,
            since=since,
            until=until,
            filters=query,
            filtering=filtering,
            more_query=urlencode(
                {k: v for k, v in query.items() if v} | ({"cursor": next_cursor} if next_cursor else {})
            ),
            title="Conversations",
            nav="conversations",
        )

    @get("/conversations/{session_id:str}")
    async def conversation(
        self,
        get_chat_session: NamedDependency[GetChatSession],
        list_agent_names: NamedDependency[ListAgentNames],
        owner: NamedDependency[Owner],
        session_id: FromPath[str],
    ) -> Template:
        session, messages = await get_chat_session(owner.principal, session_id)
        names = await list_agent_names(owner.principal)  # the agent's name: support does not read its settings
        agent = next((a for a in names if a.id == session.agent_id), AgentName(id=session.agent_id, name="an agent"))
        return _page(
            "conversation.html",
            owner,
            session=ChatSessionOut.of(session),
            agent=agent,
            messages=[MessageOut.of(m) for m in messages],
            title="Conversation",
            nav="conversations",
        )

    @get("/inbox")
    async def inbox(self, list_agent_names: NamedDependency[ListAgentNames], owner: NamedDependency[Owner]) -> Template:
        """Live handoff: the conversations waiting for a person or with one (live over SSE)."""
        agents = await list_agent_names(owner.principal)
        return _page("inbox.html", owner, agents=agents, title="Inbox", nav="inbox")

    @get("/request-log")
    async def request_log(
        self,
        list_agents: NamedDependency[ListAgents],
        list_request_log: NamedDependency[ListRequestLog],
        owner: NamedDependency[Owner],
        agent_id: Annotated[str | None, QueryParameter(name="agent_id", max_length=100)] = None,
        status: Annotated[str | None, QueryParameter(name="status", max_length=3)] = None,
        method: Annotated[str | None, QueryParameter(name="method", max_length=10)] = None,
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=40)] = None,
        cursor: Annotated[str | None, QueryParameter(name="cursor", max_length=64)] = None,
    ) -> Template:
        agents = await _all_agents(list_agents, owner.principal)
        query = log_query(
            date_from=date_from,
            date_to=date_to,
            agent_id=agent_id,
            method=method,
            status=status,
            route=None,
            cursor=cursor,
            limit=50,
        )
        page = await list_request_log(owner.principal, query)
        filters = {"agent_id": agent_id, "status": status, "method": method, "date_from": date_from, "date_to": date_to}
        kept = urlencode({k.replace("date_", ""): v for k, v in filters.items() if v})
        return _page(
            "request_log.html",
            owner,
            entries=page.items,
            next_cursor=page.next_cursor,
            agents=agents,
            agent_names={a.id: a.name for a in agents},
            filters=filters,
            query_without_cursor=kept + "&" if kept else "",
            title="Request log",
            nav="request-log",
        )

    @get("/analytics")
    async def analytics(
        self,
        list_agents: NamedDependency[ListAgents],
        get_analytics: NamedDependency[GetAnalytics],
        owner: NamedDependency[Owner],
        agent_id: AgentParam = None,
        first_day: AnalyticsDay = None,
        last_day: AnalyticsLastDay = None,
    ) -> Template:
        """The improvement loop's figures: per day, rates, top documents and question groups."""
        agents = await _all_agents(list_agents, owner.principal)
        found = await get_analytics(
            owner.principal, agent_id=agent_id or None, first_day=first_day or None, last_day=last_day or None
        )
        names = {a.id: a.name for a in agents}
        label = [d.day.strftime("%b %d") for d in found.days]
        charts = {
            "conversations": bar_chart(
                list(zip(label, [d.conversations for d in found.days], strict=True)),
                "Conversations per day",
                "conversations",
            ),
            "messages": bar_chart(
                list(zip(label, [d.messages for d in found.days], strict=True)), "Messages per day", "messages"
            ),
        }
        query = {"agent_id": found.agent_id, "from": found.range.first_day, "to": found.range.last_day}
        return _page(
            "analytics.html",
            owner,
            agents=agents,
            names=names,
            report=found,
            charts=charts,
            export_query="&".join(f"{k}={v}" for k, v in query.items() if v),
            title="Analytics",
            nav="analytics",
        )

    @get("/usage")
    async def usage(
        self,
        list_agents: NamedDependency[ListAgents],
        get_usage_report: NamedDependency[GetUsageReport],
        get_billing_overview: NamedDependency[GetBillingOverview],
        owner: NamedDependency[Owner],
        days: Days = 30,
    ) -> Template:
        last = datetime.now(UTC).date()
        first = last - timedelta(days=days - 1)
        start, end = _start_of(first), _start_of(last + timedelta(days=1))
        per_day = await get_usage_report(owner.principal, start, end, ("day",))
        per_agent = await get_usage_report(owner.principal, start, end, ("agent",))
        # the plan's quota is billing: shown to the roles that manage it (the owner)
        overview = (
            BillingUsageOut.of(await get_billing_overview(owner.principal))
            if permits(owner.principal.role, Permission.MANAGE_BILLING)
            else None
        )
        names = {a.id: a.name for a in await _all_agents(list_agents, owner.principal)}
        by_day = {t.day: t for t in per_day}
        calendar = [first + timedelta(days=i) for i in range(days)]
        messages = [(d.strftime("%b %d"), by_day[d].calls if d in by_day else 0) for d in calendar]
        tokens = [(d.strftime("%b %d"), by_day[d].tokens if d in by_day else 0) for d in calendar]
        agents = sorted(
            ((names.get(t.agent_id or "", t.agent_id or "deleted agent"), t.tokens, t.calls) for t in per_agent),
            key=lambda row: -row[1],
        )
        charts = {
            "messages": bar_chart(messages, "Messages per day", "messages"),
            "tokens": bar_chart(tokens, "Tokens per day", "tokens"),
            "agents": bar_chart(
                [(name, used) for name, used, _ in agents], "Tokens per agent", "tokens", horizontal=True
            ),
        }
        return _page(
            "usage.html",
            owner,
            charts=charts,
            overview=overview,
            days=days,
            first=first,
            last=last,
            total_messages=sum(v for _, v in messages),
            total_tokens=sum(v for _, v in tokens),
            agents=agents,
            title="Usage",
            nav="usage",
        )

    @get("/billing")
    async def billing(
        self,
        get_billing_overview: NamedDependency[GetBillingOverview],
        list_plans: NamedDependency[ListPlans],
        owner: NamedDependency[Owner],
        checkout: Annotated[str | None, QueryParameter(name="checkout", max_length=20)] = None,
    ) -> Template:
        overview = BillingUsageOut.of(await get_billing_overview(owner.principal))
        offer = await list_plans()
        return _page(
            "billing.html",
            owner,
            overview=overview,
            plans=[PlanOut.of(p) for p in offer.plans],
            enabled=offer.billing_enabled,
            plans_apply=offer.plans_apply,
            checkout=checkout,
            title="Billing",
            nav="billing",
        )

    @get("/account")
    async def account(
        self,
        require_recent_session: NamedDependency[RequireRecentSession],
        list_exports: NamedDependency[ListExports],
        policy_status: NamedDependency[GetPolicyStatus],
        get_privacy_overview: NamedDependency[GetPrivacyOverview],
        list_audit_log: NamedDependency[ListAuditLog],
        list_sessions: NamedDependency[ListSessions],
        list_api_keys: NamedDependency[ListApiKeys],
        owner: NamedDependency[Owner],
    ) -> Template:
        try:
            await require_recent_session(owner.principal)
            recent = True
        except Forbidden:
            recent = False
        # Sessions and API keys are listed only within the re-authentication window, as the API
        # routes that list them are (otherwise the page shows the "Confirm it is you" form).
        sessions = (
            [OwnerSessionOut.of(s, owner.principal.session_id) for s in await list_sessions(owner.principal)]
            if recent
            else None
        )
        integrations = permits(owner.principal.role, Permission.MANAGE_INTEGRATIONS)
        keys = [ApiKeyOut.of(k) for k in await list_api_keys(owner.principal)] if recent and integrations else None
        privacy = {name: path for name, (_method, path) in PRIVACY_ACTIONS.items()}
        state_of = (await get_privacy_overview(owner.principal)).state
        exports = await list_exports(owner.principal)
        policy = await policy_status(owner.principal)
        audit = (await list_audit_log(owner.principal))[:20]
        return _page(
            "account.html",
            owner,
            sessions=sessions,
            keys=keys,
            privacy=privacy,
            privacy_state=state_of,
            recent=recent,
            scopes=[str(s) for s in Scope],
            exports=exports,
            policy=policy,
            audit=audit,
            title="Account and privacy",
            nav="account",
        )


PAGE_CONTROLLERS = [PublicPages, DashboardPages, PrivacyPolicyPages, FaviconController]
