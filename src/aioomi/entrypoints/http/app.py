"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Server
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from litestar.types import Empty

from aioomi import __version__
from aioomi.container import AppContainer, start, stop
from aioomi.entrypoints.demo import seed_demo
from aioomi.entrypoints.http.account_controller import AccountController, ApiKeyController
from aioomi.entrypoints.http.agents_controller import AgentController
from aioomi.entrypoints.http.analytics_controller import AnalyticsController
from aioomi.entrypoints.http.auth_controller import AuthController
from aioomi.entrypoints.http.billing_controller import BillingController, StripeWebhookController, UsageController
from aioomi.entrypoints.http.chat_controllers import ConversationController, OpenAICompatibleController
from aioomi.entrypoints.http.content_type import ContentTypeGuard
from aioomi.entrypoints.http.conversation_review_controller import ConversationReviewController
from aioomi.entrypoints.http.curated_controller import CuratedAnswerController
from aioomi.entrypoints.http.dependencies import DEPENDENCIES
from aioomi.entrypoints.http.documents_controller import DocumentController, KnowledgeController
from aioomi.entrypoints.http.edge import (
    ProxyHeadersMiddleware,
    RequestLogMiddleware,
    RequestLogWriter,
    SecurityHeadersMiddleware,
    WidgetCorsMiddleware,
)
from aioomi.entrypoints.http.embed_controller import EmbedController
from aioomi.entrypoints.http.feedback_controller import FeedbackController
from aioomi.entrypoints.http.handoff_assets import HandoffScriptController
from aioomi.entrypoints.http.handoff_controller import HandoffController, HandoffSettingsController
from aioomi.entrypoints.http.handoff_widget_controller import WidgetHandoffController
from aioomi.entrypoints.http.health import HealthController, metrics_guard
from aioomi.entrypoints.http.lead_pages import LeadPages
from aioomi.entrypoints.http.leads_controller import LeadController, LeadFormController, WidgetLeadController
from aioomi.entrypoints.http.loop_pages import QuestionPages, TestQuestionPages
from aioomi.entrypoints.http.openai_errors import by_path, is_openai_path
from aioomi.entrypoints.http.pages import PAGE_CONTROLLERS, static_files_router, template_config
from aioomi.entrypoints.http.privacy_controller import PRIVACY_CONTROLLERS
from aioomi.entrypoints.http.problems import EXCEPTION_HANDLERS, document_problems
from aioomi.entrypoints.http.qa_controller import QaPairController
from aioomi.entrypoints.http.question_groups_controller import QuestionGroupController
from aioomi.entrypoints.http.request_body import GuardedRequest
from aioomi.entrypoints.http.request_context import RequestContextMiddleware
from aioomi.entrypoints.http.request_log_controller import RequestLogController
from aioomi.entrypoints.http.sources_controller import SourceController
from aioomi.entrypoints.http.test_questions_controller import TestQuestionController
from aioomi.entrypoints.http.webhook_pages import WebhookPages
from aioomi.entrypoints.http.webhooks_controller import WebhookEndpointController
from aioomi.entrypoints.http.widget_assets import DemoController, WidgetScriptController
from aioomi.entrypoints.http.widget_controller import WidgetController
from aioomi.entrypoints.http.widget_leads_asset import WidgetLeadsScriptController
from aioomi.entrypoints.http.workspace_pages import MemberPages
from aioomi.entrypoints.http.workspaces_controller import InvitationController, MemberController, WorkspaceController
from aioomi.entrypoints.worker.jobs import build_worker

STATIC = Path(__file__).parent / "static"

CONTROLLERS = [HealthController, AuthController, AccountController, ApiKeyController, AgentController]
CONTROLLERS += [BillingController, UsageController, StripeWebhookController]
CONTROLLERS += [DocumentController, KnowledgeController, SourceController, QaPairController]
CONTROLLERS += [WidgetController, ConversationController, OpenAICompatibleController]
CONTROLLERS += PRIVACY_CONTROLLERS
CONTROLLERS += PAGE_CONTROLLERS  # the owner dashboard (HTML, not in the schema)
CONTROLLERS += [EmbedController, WidgetScriptController, RequestLogController]
CONTROLLERS += [WebhookEndpointController, WebhookPages]
CONTROLLERS += [QuestionPages, TestQuestionPages]
CONTROLLERS += [LeadFormController, LeadController, WidgetLeadController, LeadPages, WidgetLeadsScriptController]
CONTROLLERS += [
    FeedbackController,
    CuratedAnswerController,
    QuestionGroupController,
    TestQuestionController,
    ConversationReviewController,
    AnalyticsController,
]  # the owner's improvement loop (issue 19)
CONTROLLERS += [WidgetHandoffController, HandoffSettingsController, HandoffController, HandoffScriptController]
CONTROLLERS += [WorkspaceController, MemberController, InvitationController, MemberPages]  # teams (issue 21)


class MetricsController(PrometheusController):
    """Prometheus metrics, for ``Authorization: Bearer <AIOOMI_METRICS_TOKEN>`` only."""

    path = "/metrics"
    include_in_schema = False
    guards = [metrics_guard]


# Handlers whose body is a document upload (opt ``body_limit="document"``): their body ceiling
# is the configured per-file limit plus room for the multipart envelope.
MULTIPART_ROOM = 64 * 1024


class SwaggerPage(SwaggerRenderPlugin):
    """Swagger UI started by a script file (``/schema-assets/swagger-init.js``) that loads the
    spec from its URL: Litestar's page inlines both, which the Content-Security-Policy forbids."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        spec = html.escape(self.get_openapi_json_route(request))
        return (
            f'<!DOCTYPE html><html><head><title>{title}</title><meta charset="utf-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link href="{self.css_url}" rel="stylesheet">'
            f'<script src="{self.js_url}"></script><script src="{self.standalone_preset_js_url}"></script>'
            '<script src="/schema-assets/swagger-init.js"></script>'
            f'</head><body><div id="swagger-container" data-spec-url="{spec}"></div></body></html>'
        ).encode()

    def receive_router(self, router: Any) -> None:
        """No OAuth2 redirect page (an inline script; the API's credentials are not OAuth2)."""


def _openapi() -> OpenAPIConfig:
    assets = "/schema-assets/swagger-ui"
    return OpenAPIConfig(
        title="Aioomi API",
        version=__version__,
        description="Owner API (`/api/v1`), widget API, OpenAI-compatible API and operations endpoints. "
        "Errors are RFC 9457 problem documents with a stable `code`.",
        path="/schema",
        servers=[Server(url="/")],
        render_plugins=[
            SwaggerPage(
                path="/",
                js_url=f"{assets}/swagger-ui-bundle.js",
                css_url=f"{assets}/swagger-ui.css",
                standalone_preset_js_url=f"{assets}/swagger-ui-standalone-preset.js",
                favicon="",  # the default favicon is fetched from a CDN
            )
        ],
    )


def create_app(
    container: AppContainer,
    *,
    run_worker: bool = False,
    manage_lifecycle: bool = True,
    debug: bool = False,
    demo_origins: list[str] | None = None,
) -> Litestar:
    """Build the HTTP app on ``container``.

    With ``manage_lifecycle`` the app's lifespan starts the container's resources (migrations,
    the pool) and stops them at shutdown; the CLI starts them itself, before the server, to fail
    fast with one clear line. With ``run_worker`` the lifespan also runs the job worker in the
    same process, as the embedded default does, so one command serves the whole product.
    With ``demo_origins`` the lifespan seeds the demo agent (allowed on those origins) and the
    app serves its page at ``/demo``.
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if manage_lifecycle:
            await start(container)
        worker = build_worker(container) if run_worker else None
        task = asyncio.create_task(worker.run(), name="worker") if worker else None
        app.state.worker = worker
        if demo_origins is not None:
            app.state.demo = await seed_demo(container, demo_origins)
        try:
            yield
        finally:
            if worker and task:
                worker.stop()
                await task
            if manage_lifecycle:
                await stop(container)

    prometheus = PrometheusConfig(
        app_name="aioomi",
        prefix="aioomi",
        group_path=True,
        exclude=["/metrics", "/schema"],
        exclude_opt_key="exclude_from_metrics",
    )
    request_log_writer = RequestLogWriter(lambda batch: container.record_api_requests()(batch))
    app = Litestar(
        route_handlers=[
            *CONTROLLERS,
            *([DemoController] if demo_origins is not None else []),
            MetricsController,
            static_files_router(),
            create_static_files_router(
                path="/schema-assets", directories=[STATIC], include_in_schema=False, cache_control=None
            ),
        ],
        dependencies=DEPENDENCIES,
        exception_handlers=by_path(EXCEPTION_HANDLERS),  # type: ignore[arg-type]  # /v1: OpenAI's error shape
        lifespan=[lifespan, request_log_writer.lifespan],
        middleware=[prometheus.middleware],
        openapi_config=_openapi(),
        template_config=template_config(),
        # Routes with opt skip_compression (the SSE streams) are never gzipped: each token would
        # go through the compressor and its flush.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key="skip_compression"),
        logging_config=None,  # logging is configured once, by the entry point
        request_class=GuardedRequest,  # JSON bodies nested too deeply are refused before decoding
        request_max_body_size=BODY_MAX_BYTES,  # uploads and imports set their own ceiling per route
        debug=debug,
    )
    app.state.container = container
    handlers = [handler for route in app.routes for handler in getattr(route, "route_handlers", ())]
    document_problems(
        handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if not is_openai_path(route.path)
    )
    _limit_upload_bodies(handlers, container.settings().document_max_bytes + MULTIPART_ROOM)
    app.state.request_log_writer = request_log_writer
    app.asgi_handler = RequestLogMiddleware(  # type: ignore[assignment]  # plain ASGI callables
        WidgetCorsMiddleware(ContentTypeGuard(app.asgi_handler), container), request_log_writer
    )
    # Around Litestar's own exception handling, so every response carries the id and the headers.
    app.asgi_handler = RequestContextMiddleware(SecurityHeadersMiddleware(app.asgi_handler))  # type: ignore[assignment]
    # Outermost: every layer inside sees the client address a trusted proxy vouched for.
    app.asgi_handler = ProxyHeadersMiddleware(  # type: ignore[assignment]
        app.asgi_handler, container.settings().trusted_proxy_networks
    )
    return app


# Every body but a document upload or an import (whose routes set their own ceiling): the largest
# JSON the API takes (a /v1 request with a long conversation) is far below this. Litestar stops
# reading a body, chunked too, once it passes the ceiling and answers 413 payload_too_large.
BODY_MAX_BYTES = 2 * 1024 * 1024


def _limit_upload_bodies(handlers: list[Any], ceiling: int) -> None:
    """Set the body ceiling of the upload handlers from the configured per-file limit: Litestar
    stops reading a body (chunked too) as soon as it passes the ceiling and answers 413."""
    for handler in handlers:
        if handler.opt.get("body_limit") == "document":
            handler.request_max_body_size = ceiling
            handler._resolved_request_max_body_size = Empty  # noqa: SLF001 - resolved lazily, per app
