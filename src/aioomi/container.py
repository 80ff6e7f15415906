"""The composition root: the one place where adapters are wired into use cases.

One container, two backends: ``postgres`` (production and the embedded default) and
``memory`` (``aioomi serve --memory`` and unit tests). Every port-shaped provider is a
``Selector`` on the backend, so the use cases are declared once and get whichever adapters
the backend picks; nothing of the other backend is ever built. Anything with an async
``start``/``stop`` that must run around the process's life is listed in ``lifecycle``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from aioomi.adapters.google.oidc import OidcIdentityProvider
from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher
from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog
from aioomi.adapters.local.extractive_responder import ExtractiveResponder
from aioomi.adapters.local.filesystem_blob_store import FilesystemBlobStore
from aioomi.adapters.local.markdown_chunker import MarkdownChunker
from aioomi.adapters.local.outbox_mailer import OutboxMailer
from aioomi.adapters.local.sandboxed_extractor import ExtractionSandbox, SandboxedTextExtractor
from aioomi.adapters.local.system_clock import SystemClock
from aioomi.adapters.local.wordllama_embedder import WordLlamaEmbedder
from aioomi.adapters.memory.blob_store import InMemoryBlobStore
from aioomi.adapters.memory.chunk_store import InMemoryChunkStore
from aioomi.adapters.memory.job_store import InMemoryJobStore
from aioomi.adapters.memory.privacy import InMemoryOperationalRecords
from aioomi.adapters.memory.rate_limiter import InMemoryRateLimiter
from aioomi.adapters.memory.request_log import InMemoryRequestLog
from aioomi.adapters.memory.store_status import InMemoryStoreStatusProbe
from aioomi.adapters.memory.tables import MemoryDatabase
from aioomi.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from aioomi.adapters.openai.chat_model import OpenAIChatModel
from aioomi.adapters.openai.embedder import OpenAIEmbedder
from aioomi.adapters.postgres.chunk_store import PostgresChunkStore
from aioomi.adapters.postgres.database import PostgresDatabase
from aioomi.adapters.postgres.job_store import PostgresJobStore
from aioomi.adapters.postgres.privacy import PostgresOperationalRecords
from aioomi.adapters.postgres.rate_limiter import PostgresRateLimiter
from aioomi.adapters.postgres.request_log import PostgresRequestLog
from aioomi.adapters.postgres.store_status import PostgresStoreStatusProbe
from aioomi.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from aioomi.adapters.rerank.http_reranker import HttpReranker
from aioomi.adapters.smtp.mailer import SmtpMailer
from aioomi.adapters.stripe.gateway import StripePaymentGateway
from aioomi.adapters.stripe.webhooks import StripeWebhookVerifier
from aioomi.adapters.web.crawler import HttpSiteFetcher
from aioomi.adapters.web.page_extractor import TrafilaturaPageExtractor
from aioomi.adapters.web.url_fetcher import HttpUrlFetcher, parse_networks
from aioomi.adapters.web.webhook_sender import HttpWebhookTransport
from aioomi.domain.model.accounts import SessionPolicy
from aioomi.domain.model.billing import BillingConfig, PlanCatalog, parse_plans
from aioomi.domain.model.chat import ChatLimits
from aioomi.domain.model.documents import DocumentLimits
from aioomi.domain.model.knowledge import rerank_relevance_scale
from aioomi.domain.model.links import Links
from aioomi.domain.model.privacy import deletion_grace, outbox_retention
from aioomi.domain.model.sources import SourceLimits
from aioomi.domain.usecases.accounts.begin_google_sign_in import BeginGoogleSignIn
from aioomi.domain.usecases.accounts.complete_google_sign_in import CompleteGoogleSignIn
from aioomi.domain.usecases.accounts.create_api_key import CreateApiKey
from aioomi.domain.usecases.accounts.get_account import GetAccount
from aioomi.domain.usecases.accounts.list_api_keys import ListApiKeys
from aioomi.domain.usecases.accounts.list_sessions import ListSessions
from aioomi.domain.usecases.accounts.request_password_reset import RequestPasswordReset
from aioomi.domain.usecases.accounts.require_recent_session import RequireRecentSession
from aioomi.domain.usecases.accounts.reset_password import ResetPassword
from aioomi.domain.usecases.accounts.revoke_api_key import RevokeApiKey
from aioomi.domain.usecases.accounts.revoke_session import RevokeSession
from aioomi.domain.usecases.accounts.sign_out import SignOut
from aioomi.domain.usecases.accounts.sign_out_everywhere import SignOutEverywhere
from aioomi.domain.usecases.accounts.update_profile import UpdateProfile
from aioomi.domain.usecases.add_qa_pair import AddQaPair
from aioomi.domain.usecases.agents.create_agent import CreateAgent
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.agents.list_agent_names import ListAgentNames
from aioomi.domain.usecases.agents.list_agents import ListAgents
from aioomi.domain.usecases.agents.rotate_agent_key import RotateAgentKey
from aioomi.domain.usecases.agents.update_agent import UpdateAgent
from aioomi.domain.usecases.analytics.export_analytics_csv import ExportAnalyticsCsv
from aioomi.domain.usecases.analytics.get_analytics import GetAnalytics
from aioomi.domain.usecases.answer_chat import AnswerChat
from aioomi.domain.usecases.authenticate import Authenticate
from aioomi.domain.usecases.billing.downgrade_after_grace import DowngradeAfterGrace
from aioomi.domain.usecases.billing.get_billing_overview import GetBillingOverview
from aioomi.domain.usecases.billing.list_plans import ListPlans
from aioomi.domain.usecases.billing.open_billing_portal import OpenBillingPortal
from aioomi.domain.usecases.billing.process_stripe_event import ProcessStripeEvent
from aioomi.domain.usecases.billing.purge_expired_billing_records import PurgeExpiredBillingRecords
from aioomi.domain.usecases.billing.receive_stripe_event import ReceiveStripeEvent
from aioomi.domain.usecases.billing.reconcile_metered_usage import ReconcileMeteredUsage
from aioomi.domain.usecases.billing.report_metered_usage import ReportMeteredUsage
from aioomi.domain.usecases.billing.send_billing_notice import SendBillingNotice
from aioomi.domain.usecases.billing.set_agent_token_cap import SetAgentTokenCap
from aioomi.domain.usecases.billing.start_checkout import StartCheckout
from aioomi.domain.usecases.cancel_email_change import CancelEmailChange
from aioomi.domain.usecases.cancel_source_run import CancelSourceRun
from aioomi.domain.usecases.change_password import ChangePassword
from aioomi.domain.usecases.chat.delete_chat_session import DeleteChatSession
from aioomi.domain.usecases.chat.delete_visitor_session import DeleteVisitorSession
from aioomi.domain.usecases.chat.export_agent_sessions import ExportAgentSessions
from aioomi.domain.usecases.chat.get_chat_session import GetChatSession
from aioomi.domain.usecases.chat.list_agent_sessions import ListAgentSessions
from aioomi.domain.usecases.chat.list_visitor_sessions import ListVisitorSessions
from aioomi.domain.usecases.chat.open_widget import OpenWidget
from aioomi.domain.usecases.chat.read_visitor_session import ReadVisitorSession
from aioomi.domain.usecases.chat.replay_answer import ReplayAnswer
from aioomi.domain.usecases.chat.send_widget_message import SendWidgetMessage
from aioomi.domain.usecases.chat.start_widget_session import StartWidgetSession
from aioomi.domain.usecases.check_readiness import CheckReadiness
from aioomi.domain.usecases.conversation_review.review_conversations import ReviewConversations
from aioomi.domain.usecases.crawl_source import CrawlSource
from aioomi.domain.usecases.create_source import CreateSource
from aioomi.domain.usecases.curated.fix_answer import FixAnswer
from aioomi.domain.usecases.curated.get_curated_settings import GetCuratedSettings
from aioomi.domain.usecases.curated.match_curated_answer import MatchCuratedAnswer
from aioomi.domain.usecases.curated.set_curated_settings import SetCuratedSettings
from aioomi.domain.usecases.delete_agent import DeleteAgent
from aioomi.domain.usecases.delete_qa_pair import DeleteQaPair
from aioomi.domain.usecases.delete_source import DeleteSource
from aioomi.domain.usecases.documents.add_document import AddDocument
from aioomi.domain.usecases.documents.delete_document import DeleteDocument
from aioomi.domain.usecases.documents.get_document import GetDocument
from aioomi.domain.usecases.documents.get_document_text import GetDocumentText
from aioomi.domain.usecases.documents.list_documents import ListDocuments
from aioomi.domain.usecases.documents.rename_document import RenameDocument
from aioomi.domain.usecases.documents.replace_document import ReplaceDocument
from aioomi.domain.usecases.export_qa_pairs import ExportQaPairs
from aioomi.domain.usecases.feedback.list_answer_feedback import ListAnswerFeedback
from aioomi.domain.usecases.feedback.rate_answer import RateAnswer
from aioomi.domain.usecases.get_source import GetSource
from aioomi.domain.usecases.handoff.cancel_handoff import CancelHandoff
from aioomi.domain.usecases.handoff.expire_stale_handoffs import ExpireStaleHandoffs
from aioomi.domain.usecases.handoff.get_handoff_availability import GetHandoffAvailability
from aioomi.domain.usecases.handoff.get_handoff_settings import GetHandoffSettings
from aioomi.domain.usecases.handoff.hand_back_conversation import HandBackConversation
from aioomi.domain.usecases.handoff.list_handoff_inbox import ListHandoffInbox
from aioomi.domain.usecases.handoff.notify_owner_of_handoff import NotifyOwnerOfHandoff
from aioomi.domain.usecases.handoff.read_owner_handoff import ReadOwnerHandoff
from aioomi.domain.usecases.handoff.read_visitor_handoff import ReadVisitorHandoff
from aioomi.domain.usecases.handoff.reply_to_handoff import ReplyToHandoff
from aioomi.domain.usecases.handoff.request_handoff import RequestHandoff
from aioomi.domain.usecases.handoff.save_handoff_reply_as_qa_pair import SaveHandoffReplyAsQaPair
from aioomi.domain.usecases.handoff.send_handoff_message import SendHandoffMessage
from aioomi.domain.usecases.handoff.take_handoff import TakeHandoff
from aioomi.domain.usecases.handoff.update_handoff_settings import UpdateHandoffSettings
from aioomi.domain.usecases.import_qa_pairs import ImportQaPairs
from aioomi.domain.usecases.knowledge.change_embedding_model import ChangeEmbeddingModel
from aioomi.domain.usecases.knowledge.get_knowledge_base import GetKnowledgeBase
from aioomi.domain.usecases.knowledge.ingest_document import IngestDocument
from aioomi.domain.usecases.knowledge.purge_document_data import PurgeDocumentData
from aioomi.domain.usecases.knowledge.reindex_document import ReindexDocument
from aioomi.domain.usecases.knowledge.search_agent_knowledge import SearchAgentKnowledge
from aioomi.domain.usecases.knowledge.switch_embedding_model import SwitchEmbeddingModel
from aioomi.domain.usecases.knowledge_passages import KnowledgePassages
from aioomi.domain.usecases.leads.delete_lead import DeleteLead
from aioomi.domain.usecases.leads.delete_visitor_leads import DeleteVisitorLeads
from aioomi.domain.usecases.leads.export_leads_csv import ExportLeadsCsv
from aioomi.domain.usecases.leads.get_lead_form import GetLeadForm
from aioomi.domain.usecases.leads.get_widget_lead_form import GetWidgetLeadForm
from aioomi.domain.usecases.leads.list_leads import ListLeads
from aioomi.domain.usecases.leads.list_visitor_leads import ListVisitorLeads
from aioomi.domain.usecases.leads.notify_new_lead import NotifyNewLead
from aioomi.domain.usecases.leads.purge_expired_leads import PurgeExpiredLeads
from aioomi.domain.usecases.leads.submit_lead import SubmitLead
from aioomi.domain.usecases.leads.update_lead_form import UpdateLeadForm
from aioomi.domain.usecases.list_qa_pairs import ListQaPairs
from aioomi.domain.usecases.list_sources import ListSources
from aioomi.domain.usecases.preview_email_link import PreviewEmailLink
from aioomi.domain.usecases.privacy.accept_policy import AcceptPolicy
from aioomi.domain.usecases.privacy.build_export import BuildExport
from aioomi.domain.usecases.privacy.cancel_account_deletion import CancelAccountDeletion
from aioomi.domain.usecases.privacy.check_processing_allowed import CheckProcessingAllowed
from aioomi.domain.usecases.privacy.crawl_unless_restricted import CrawlUnlessRestricted
from aioomi.domain.usecases.privacy.delete_stripe_customer import DeleteStripeCustomer
from aioomi.domain.usecases.privacy.delete_visitor_conversations import DeleteVisitorConversations
from aioomi.domain.usecases.privacy.download_export import DownloadExport
from aioomi.domain.usecases.privacy.export_visitor_conversations import ExportVisitorConversations
from aioomi.domain.usecases.privacy.find_visitor_conversations import FindVisitorConversations
from aioomi.domain.usecases.privacy.get_chat_retention import GetChatRetention
from aioomi.domain.usecases.privacy.get_policy_status import GetPolicyStatus
from aioomi.domain.usecases.privacy.get_privacy_overview import GetPrivacyOverview
from aioomi.domain.usecases.privacy.get_published_policy import GetPublishedPolicy
from aioomi.domain.usecases.privacy.ingest_unless_restricted import IngestUnlessRestricted
from aioomi.domain.usecases.privacy.issue_export_link import IssueExportLink
from aioomi.domain.usecases.privacy.list_audit_log import ListAuditLog
from aioomi.domain.usecases.privacy.list_exports import ListExports
from aioomi.domain.usecases.privacy.object_to_processing import ObjectToProcessing
from aioomi.domain.usecases.privacy.policy_versions_support import PolicyVersionsCache
from aioomi.domain.usecases.privacy.prepare_month_partitions import PrepareMonthPartitions
from aioomi.domain.usecases.privacy.publish_policy_version import PublishPolicyVersion
from aioomi.domain.usecases.privacy.purge_deleted_account import PurgeDeletedAccount
from aioomi.domain.usecases.privacy.purge_deleted_accounts import PurgeDeletedAccounts
from aioomi.domain.usecases.privacy.purge_workspace import PurgeWorkspace
from aioomi.domain.usecases.privacy.record_api_requests import RecordApiRequests
from aioomi.domain.usecases.privacy.reindex_unless_restricted import ReindexUnlessRestricted
from aioomi.domain.usecases.privacy.request_account_deletion import RequestAccountDeletion
from aioomi.domain.usecases.privacy.request_export import RequestExport
from aioomi.domain.usecases.privacy.request_workspace_export import RequestWorkspaceExport
from aioomi.domain.usecases.privacy.restrict_processing import RestrictProcessing
from aioomi.domain.usecases.privacy.retention_report import RetentionReport
from aioomi.domain.usecases.privacy.retention_sweeps import RetentionSweeps
from aioomi.domain.usecases.privacy.send_policy_notices import SendPolicyNotices
from aioomi.domain.usecases.privacy.set_chat_retention import SetChatRetention
from aioomi.domain.usecases.purge_finished_jobs import PurgeFinishedJobs
from aioomi.domain.usecases.purge_rate_limit_counters import PurgeRateLimitCounters
from aioomi.domain.usecases.question_groups.answer_question_group import AnswerQuestionGroup
from aioomi.domain.usecases.question_groups.dismiss_question_group import DismissQuestionGroup
from aioomi.domain.usecases.question_groups.list_question_groups import ListQuestionGroups
from aioomi.domain.usecases.question_groups.queue_due_question_group_refreshes import QueueDueQuestionGroupRefreshes
from aioomi.domain.usecases.question_groups.refresh_question_groups import RefreshQuestionGroups
from aioomi.domain.usecases.question_groups.request_question_groups_refresh import RequestQuestionGroupsRefresh
from aioomi.domain.usecases.reauthenticate import Reauthenticate
from aioomi.domain.usecases.refresh_lexical_impacts import RefreshLexicalImpacts
from aioomi.domain.usecases.refused_origins import ListRefusedOrigins
from aioomi.domain.usecases.request_log import ListRequestLog
from aioomi.domain.usecases.resend_verification import ResendVerification
from aioomi.domain.usecases.search_knowledge import SearchKnowledge
from aioomi.domain.usecases.seed_demo import SeedDemo
from aioomi.domain.usecases.send_reset_link import SendPasswordResetLink
from aioomi.domain.usecases.send_sign_up_mail import SendSignUpMail
from aioomi.domain.usecases.send_verification_link import SendVerificationLink
from aioomi.domain.usecases.sign_in import SignInWithPassword
from aioomi.domain.usecases.sign_up import SignUp
from aioomi.domain.usecases.sources.get_source_run import GetSourceRun
from aioomi.domain.usecases.sources.list_source_runs import ListSourceRuns
from aioomi.domain.usecases.sync_due_sources import SyncDueSources
from aioomi.domain.usecases.sync_source import SyncSource
from aioomi.domain.usecases.test_questions.create_test_question import CreateTestQuestion
from aioomi.domain.usecases.test_questions.delete_test_question import DeleteTestQuestion
from aioomi.domain.usecases.test_questions.get_test_run import GetTestRun
from aioomi.domain.usecases.test_questions.list_test_questions import ListTestQuestions
from aioomi.domain.usecases.test_questions.list_test_runs import ListTestRuns
from aioomi.domain.usecases.test_questions.notify_test_failures import NotifyTestFailures
from aioomi.domain.usecases.test_questions.request_test_run import RequestTestRun
from aioomi.domain.usecases.test_questions.run_test_questions import RunTestQuestions
from aioomi.domain.usecases.test_questions.update_test_question import UpdateTestQuestion
from aioomi.domain.usecases.update_qa_pair import UpdateQaPair
from aioomi.domain.usecases.update_source import UpdateSource
from aioomi.domain.usecases.usage.check_usage_allowance import CheckUsageAllowance
from aioomi.domain.usecases.usage.get_usage_report import GetUsageReport
from aioomi.domain.usecases.usage.record_usage import RecordUsage
from aioomi.domain.usecases.verify_email import VerifyEmail
from aioomi.domain.usecases.webhooks.create_webhook_endpoint import CreateWebhookEndpoint
from aioomi.domain.usecases.webhooks.delete_webhook_endpoint import DeleteWebhookEndpoint
from aioomi.domain.usecases.webhooks.deliver_webhook_event import DeliverWebhookEvent
from aioomi.domain.usecases.webhooks.get_webhook_endpoint import GetWebhookEndpoint
from aioomi.domain.usecases.webhooks.list_webhook_endpoints import ListWebhookEndpoints
from aioomi.domain.usecases.webhooks.list_webhook_event_types import ListWebhookEventTypes
from aioomi.domain.usecases.webhooks.notify_webhook_disabled import NotifyWebhookDisabled
from aioomi.domain.usecases.webhooks.purge_old_webhook_events import PurgeOldWebhookEvents
from aioomi.domain.usecases.webhooks.redeliver_webhook import RedeliverWebhook
from aioomi.domain.usecases.webhooks.rotate_webhook_secret import RotateWebhookSecret
from aioomi.domain.usecases.webhooks.send_test_webhook import SendTestWebhook
from aioomi.domain.usecases.webhooks.update_webhook_endpoint import UpdateWebhookEndpoint
from aioomi.domain.usecases.workspaces.accept_invitation import AcceptInvitation
from aioomi.domain.usecases.workspaces.change_member_role import ChangeMemberRole
from aioomi.domain.usecases.workspaces.create_workspace import CreateWorkspace
from aioomi.domain.usecases.workspaces.delete_workspace import DeleteWorkspace
from aioomi.domain.usecases.workspaces.invite_member import InviteMember
from aioomi.domain.usecases.workspaces.leave_workspace import LeaveWorkspace
from aioomi.domain.usecases.workspaces.list_audit_events import ListAuditEvents
from aioomi.domain.usecases.workspaces.list_invitations import ListInvitations
from aioomi.domain.usecases.workspaces.list_members import ListMembers
from aioomi.domain.usecases.workspaces.list_my_workspaces import ListMyWorkspaces
from aioomi.domain.usecases.workspaces.remove_member import RemoveMember
from aioomi.domain.usecases.workspaces.rename_workspace import RenameWorkspace
from aioomi.domain.usecases.workspaces.resend_invitation import ResendInvitation
from aioomi.domain.usecases.workspaces.revoke_invitation import RevokeInvitation
from aioomi.domain.usecases.workspaces.switch_workspace import SwitchWorkspace
from aioomi.domain.usecases.workspaces.transfer_ownership import TransferOwnership
from aioomi.ports.closeable import Closeable
from aioomi.settings import Settings


def _mailer(settings: Settings, clock: Any = None) -> SmtpMailer | OutboxMailer:
    if settings.smtp_host:
        return SmtpMailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_security == "tls",
            starttls=settings.smtp_security == "starttls",
        )
    return OutboxMailer(settings.outbox_dir, clock=clock, log_links=_newcomer_on_loopback(settings))


def _kept_mail(mailer: Any) -> OutboxMailer | None:
    """The outbox folder keeps what it sends (retention applies); an SMTP relay keeps nothing here."""
    return mailer if isinstance(mailer, OutboxMailer) else None


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "[::1]"})


def _newcomer_on_loopback(settings: Settings) -> bool:
    """The embedded default served only to this machine: the one place where e-mailed links
    (which carry tokens) may be written to the log for the person at the keyboard."""
    from urllib.parse import urlsplit

    public_host = urlsplit(settings.public_url).hostname if settings.public_url else settings.host
    return settings.embedded_database and settings.host in _LOOPBACK and (public_host or "") in _LOOPBACK


def _session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(reauthentication_window=timedelta(minutes=settings.reauth_window_min))


def _chat_model(settings: Settings) -> OpenAIChatModel | ExtractiveResponder:
    """OpenAI's chat models when a key is set; else the offline extractive responder."""
    if settings.openai_api_key:
        return OpenAIChatModel(api_key=settings.openai_api_key, base_url=settings.openai_base_url)
    return ExtractiveResponder()


def _facts_apply(model: object) -> bool:
    """Whether test questions' "mentions facts" expectations apply: a chat model writes the
    answers (not the offline extractive responder, which copies passages out)."""
    return not isinstance(model, ExtractiveResponder)


def _identity_provider(settings: Settings) -> OidcIdentityProvider | None:
    if not settings.google_enabled:
        return None
    return OidcIdentityProvider(
        settings.google_issuer, settings.google_client_id or "", settings.google_client_secret or ""
    )


def _billing_config(settings: Settings) -> BillingConfig:
    return BillingConfig(
        enabled=bool(settings.stripe_secret_key),
        catalog=parse_plans(settings.billing_plans) if settings.billing_plans else PlanCatalog(),
        plans_configured=bool(settings.billing_plans),
        grace=timedelta(days=settings.billing_grace_days),
        meter_event_name=settings.stripe_meter_event_name,
        return_url=f"{settings.base_url}/dashboard/billing",
    )


def _payment_gateway(settings: Settings) -> StripePaymentGateway | None:
    if not settings.stripe_secret_key:
        return None
    return StripePaymentGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base)


def _webhook_verifier(settings: Settings) -> StripeWebhookVerifier | None:
    return StripeWebhookVerifier(settings.stripe_webhook_secret) if settings.stripe_webhook_secret else None


def _embedders(settings: Settings) -> StaticEmbedderCatalog:
    """OpenAI's embedder when a key is set (the default for new agents), and the offline
    WordLlama one always (agents created without a key keep working)."""
    offline = WordLlamaEmbedder()
    if settings.openai_api_key:
        online = OpenAIEmbedder(api_key=settings.openai_api_key, base_url=settings.openai_base_url)
        return StaticEmbedderCatalog([online, offline])
    return StaticEmbedderCatalog([offline])


def _document_limits(settings: Settings) -> DocumentLimits:
    return DocumentLimits(
        max_file_bytes=settings.document_max_bytes,
        max_pages=settings.document_max_pages,
        max_document_chars=settings.document_max_chars,
        max_documents_per_agent=settings.agent_max_documents,
        max_agent_chars=settings.agent_max_chars,
    )


def _text_extractor(settings: Settings) -> SandboxedTextExtractor:
    return SandboxedTextExtractor(
        ExtractionSandbox(
            memory_bytes=settings.extraction_memory_mb * 1024 * 1024,
            cpu_s=settings.extraction_cpu_s,
            timeout_s=settings.extraction_timeout_s,
        )
    )


def _reranker(settings: Settings) -> HttpReranker | None:
    """The optional reranker: off unless ``AIOOMI_RERANK_URL`` is set."""
    if not settings.rerank_url:
        return None
    return HttpReranker(
        settings.rerank_url,
        model=settings.rerank_model,
        api_key=settings.rerank_api_key,
        timeout_s=settings.rerank_timeout_s,
    )


def _site_fetcher(settings: Settings) -> HttpSiteFetcher:
    # Loopback or an intranet is reachable only when listed in url_fetch_allowed_networks.
    return HttpSiteFetcher(
        product_url=settings.crawler_info_url,
        allowed_networks=parse_networks(settings.url_fetch_allowed_networks),
        timeout_s=settings.url_fetch_timeout_s,
    )


def _webhook_transport(settings: Settings) -> HttpWebhookTransport:
    # The same guard as URL imports: loopback or an intranet only when listed.
    return HttpWebhookTransport(allowed_networks=parse_networks(settings.url_fetch_allowed_networks))


def _url_fetcher(settings: Settings) -> HttpUrlFetcher:
    return HttpUrlFetcher(
        allowed_networks=parse_networks(settings.url_fetch_allowed_networks),
        timeout_s=settings.url_fetch_timeout_s,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    backend = providers.Object("postgres")
    conninfo: providers.Object[str | None] = providers.Object(None)
    apply_migrations = providers.Object(True)

    # --- adapters ------------------------------------------------------------------------
    clock = providers.Singleton(SystemClock)
    database = providers.Singleton(
        PostgresDatabase,
        conninfo=conninfo,
        min_size=settings.provided.db_pool_min,
        max_size=settings.provided.db_pool_max,
        timeout_s=settings.provided.db_connect_timeout_s,
        apply_migrations=apply_migrations,
        app_role=settings.provided.db_app_role,
    )
    memory_database = providers.Singleton(MemoryDatabase)
    pool = database.provided.pool

    lifecycle = providers.Selector(backend, postgres=providers.List(database), memory=providers.List())
    job_store = providers.Selector(
        backend,
        postgres=providers.Singleton(
            PostgresJobStore, pool=pool, account_concurrency=settings.provided.worker_account_concurrency
        ),
        memory=providers.Singleton(
            InMemoryJobStore, clock=clock, account_concurrency=settings.provided.worker_account_concurrency
        ),
    )
    # The memory backend's counters: the rate limiter's and a chat turn's read count in the same.
    memory_rate_limiter = providers.Singleton(InMemoryRateLimiter, clock=clock)
    uow = providers.Selector(
        backend,
        postgres=providers.Singleton(PostgresUnitOfWorkFactory, pool=pool),
        memory=providers.Singleton(
            InMemoryUnitOfWorkFactory, database=memory_database, job_store=job_store, limiter=memory_rate_limiter
        ),
    )
    chunk_store = providers.Selector(
        backend,
        postgres=providers.Singleton(PostgresChunkStore, pool=pool),
        memory=providers.Singleton(InMemoryChunkStore),
    )
    store_status = providers.Selector(
        backend,
        postgres=providers.Singleton(PostgresStoreStatusProbe, pool=pool),
        memory=providers.Singleton(InMemoryStoreStatusProbe),
    )
    rate_limiter = providers.Selector(
        backend,
        postgres=providers.Singleton(PostgresRateLimiter, pool=pool, clock=clock),
        memory=memory_rate_limiter,
    )
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    embedders = providers.Singleton(_embedders, settings)
    blob_store = providers.Selector(
        backend,
        postgres=providers.Singleton(FilesystemBlobStore, root=settings.provided.blobs_dir),
        memory=providers.Singleton(InMemoryBlobStore),
    )
    text_extractor = providers.Singleton(_text_extractor, settings)
    chunker = providers.Singleton(MarkdownChunker)
    url_fetcher = providers.Singleton(_url_fetcher, settings)
    document_limits = providers.Singleton(_document_limits, settings)
    mailer = providers.Singleton(_mailer, settings, clock)
    identity_provider = providers.Singleton(_identity_provider, settings)
    links = providers.Singleton(Links, base_url=settings.provided.base_url)
    session_policy = providers.Singleton(_session_policy, settings)

    # --- use cases -----------------------------------------------------------------------
    check_readiness = providers.Factory(CheckReadiness, probe=store_status)
    purge_finished_jobs = providers.Factory(PurgeFinishedJobs, jobs=job_store, clock=clock)
    purge_rate_limit_counters = providers.Factory(PurgeRateLimitCounters, counters=rate_limiter, clock=clock)
    refresh_lexical_impacts = providers.Factory(RefreshLexicalImpacts, chunk_store=chunk_store)

    sign_up = providers.Factory(
        SignUp,
        uow=uow,
        clock=clock,
        hasher=password_hasher,
        limiter=rate_limiter,
    )
    verify_email = providers.Factory(VerifyEmail, uow=uow, clock=clock, policy=session_policy)
    preview_email_link = providers.Factory(PreviewEmailLink, uow=uow, clock=clock)
    cancel_email_change = providers.Factory(CancelEmailChange, uow=uow, clock=clock)
    resend_verification = providers.Factory(ResendVerification, uow=uow, limiter=rate_limiter)
    send_verification_link = providers.Factory(
        SendVerificationLink, uow=uow, clock=clock, mailer=mailer, links=links, policy=session_policy
    )
    send_sign_up_mail = providers.Factory(
        SendSignUpMail, uow=uow, clock=clock, mailer=mailer, links=links, policy=session_policy
    )
    sign_in = providers.Factory(
        SignInWithPassword, uow=uow, clock=clock, hasher=password_hasher, limiter=rate_limiter, policy=session_policy
    )
    sign_out = providers.Factory(SignOut, uow=uow, clock=clock)
    sign_out_everywhere = providers.Factory(SignOutEverywhere, uow=uow, clock=clock)
    request_password_reset = providers.Factory(RequestPasswordReset, uow=uow, limiter=rate_limiter)
    send_password_reset_link = providers.Factory(
        SendPasswordResetLink, uow=uow, clock=clock, mailer=mailer, links=links, policy=session_policy
    )
    reauthenticate = providers.Factory(
        Reauthenticate, uow=uow, clock=clock, hasher=password_hasher, limiter=rate_limiter
    )
    reset_password = providers.Factory(ResetPassword, uow=uow, clock=clock, hasher=password_hasher)
    change_password = providers.Factory(ChangePassword, uow=uow, clock=clock, hasher=password_hasher)
    get_account = providers.Factory(GetAccount, uow=uow)
    update_profile = providers.Factory(
        UpdateProfile,
        uow=uow,
        clock=clock,
        mailer=mailer,
        limiter=rate_limiter,
        links=links,
        policy=session_policy,
        hasher=password_hasher,
    )
    list_sessions = providers.Factory(ListSessions, uow=uow, clock=clock, policy=session_policy)
    revoke_session = providers.Factory(RevokeSession, uow=uow, clock=clock)
    create_api_key = providers.Factory(CreateApiKey, uow=uow, clock=clock)
    list_api_keys = providers.Factory(ListApiKeys, uow=uow)
    revoke_api_key = providers.Factory(RevokeApiKey, uow=uow, clock=clock)
    authenticate = providers.Singleton(Authenticate, uow=uow, clock=clock, policy=session_policy)
    list_my_workspaces = providers.Factory(ListMyWorkspaces, uow=uow)
    switch_workspace = providers.Factory(SwitchWorkspace, uow=uow)
    list_members = providers.Factory(ListMembers, uow=uow)
    invite_member = providers.Factory(InviteMember, uow=uow, clock=clock, mailer=mailer, links=links)
    resend_invitation = providers.Factory(ResendInvitation, uow=uow, clock=clock, mailer=mailer, links=links)
    revoke_invitation = providers.Factory(RevokeInvitation, uow=uow, clock=clock)
    list_invitations = providers.Factory(ListInvitations, uow=uow, clock=clock)
    accept_invitation = providers.Factory(AcceptInvitation, uow=uow, clock=clock)
    change_member_role = providers.Factory(ChangeMemberRole, uow=uow, clock=clock)
    remove_member = providers.Factory(RemoveMember, uow=uow, clock=clock)
    leave_workspace = providers.Factory(LeaveWorkspace, uow=uow, clock=clock)
    transfer_ownership = providers.Factory(TransferOwnership, uow=uow, clock=clock)
    list_audit_events = providers.Factory(ListAuditEvents, uow=uow)
    rename_workspace = providers.Factory(RenameWorkspace, uow=uow, clock=clock)
    create_workspace = providers.Factory(
        CreateWorkspace, uow=uow, clock=clock, max_owned=settings.provided.max_owned_workspaces
    )
    delete_workspace = providers.Factory(DeleteWorkspace, uow=uow, clock=clock)
    require_recent_session = providers.Singleton(RequireRecentSession, clock=clock, policy=session_policy)
    begin_google_sign_in = providers.Factory(BeginGoogleSignIn, uow=uow, clock=clock, provider=identity_provider)
    complete_google_sign_in = providers.Factory(
        CompleteGoogleSignIn, uow=uow, clock=clock, provider=identity_provider, policy=session_policy
    )

    # New agents take the default embedder's model (OpenAI's with a key, else the offline one).
    embedding_model = embedders.provided.default.model
    # The account's plan: its allowance for chat, its limits for agents, documents and storage.
    billing_config = providers.Singleton(_billing_config, settings)
    usage_allowance = providers.Singleton(CheckUsageAllowance, uow=uow, clock=clock, config=billing_config)
    create_agent = providers.Factory(
        CreateAgent, uow=uow, clock=clock, embedding_model=embedding_model, plans=usage_allowance
    )
    get_agent = providers.Factory(GetAgent, uow=uow)
    list_refused_origins = providers.Factory(ListRefusedOrigins, uow=uow)
    list_agents = providers.Factory(ListAgents, uow=uow)
    list_agent_names = providers.Factory(ListAgentNames, uow=uow)
    update_agent = providers.Factory(UpdateAgent, uow=uow, clock=clock)
    rotate_agent_key = providers.Factory(RotateAgentKey, uow=uow, clock=clock)
    delete_agent = providers.Factory(DeleteAgent, uow=uow, chunk_store=chunk_store, blobs=blob_store)

    # --- documents and ingestion ---------------------------------------------------------
    reranker = providers.Singleton(_reranker, settings)
    search_knowledge = providers.Factory(
        SearchKnowledge,
        uow=uow,
        chunk_store=chunk_store,
        embedders=embedders,
        reranker=reranker,
        rerank_scale=providers.Callable(rerank_relevance_scale, settings.provided.rerank_gate),
    )
    search_agent_knowledge = providers.Factory(SearchAgentKnowledge, search=search_knowledge)
    add_document = providers.Factory(
        AddDocument,
        uow=uow,
        clock=clock,
        blobs=blob_store,
        fetcher=url_fetcher,
        limits=document_limits,
        plans=usage_allowance,
    )
    replace_document = providers.Factory(
        ReplaceDocument,
        uow=uow,
        clock=clock,
        blobs=blob_store,
        fetcher=url_fetcher,
        limits=document_limits,
        plans=usage_allowance,
    )
    list_documents = providers.Factory(ListDocuments, uow=uow)
    get_document = providers.Factory(GetDocument, uow=uow)
    get_document_text = providers.Factory(GetDocumentText, uow=uow)
    purge_document_data = providers.Factory(PurgeDocumentData, chunk_store=chunk_store, blobs=blob_store)
    delete_document = providers.Factory(DeleteDocument, uow=uow, purge=purge_document_data, clock=clock)
    ingest_document = providers.Factory(
        IngestDocument,
        uow=uow,
        clock=clock,
        blobs=blob_store,
        extractor=text_extractor,
        chunker=chunker,
        chunk_store=chunk_store,
        embedders=embedders,
        limits=document_limits,
    )
    get_knowledge_base = providers.Factory(GetKnowledgeBase, uow=uow)
    # --- knowledge-base sources ----------------------------------------------------------
    source_limits = providers.Singleton(lambda s: SourceLimits(max_pages_per_source=s.source_max_pages), settings)
    list_sources = providers.Factory(ListSources, uow=uow, clock=clock, limits=source_limits, plans=usage_allowance)
    get_source = providers.Factory(GetSource, uow=uow, clock=clock, limits=source_limits, plans=usage_allowance)
    update_source = providers.Factory(UpdateSource, uow=uow, clock=clock, limits=source_limits, plans=usage_allowance)
    delete_source = providers.Factory(DeleteSource, uow=uow, purge=purge_document_data)
    list_source_runs = providers.Factory(ListSourceRuns, uow=uow)
    get_source_run = providers.Factory(GetSourceRun, uow=uow)
    create_source = providers.Factory(CreateSource, uow=uow, clock=clock, limits=source_limits, plans=usage_allowance)
    sync_source = providers.Factory(SyncSource, uow=uow, clock=clock)
    cancel_source_run = providers.Factory(CancelSourceRun, uow=uow, clock=clock)
    sync_due_sources = providers.Factory(SyncDueSources, uow=uow, clock=clock)
    list_qa_pairs = providers.Factory(ListQaPairs, uow=uow)
    add_qa_pair = providers.Factory(
        AddQaPair, uow=uow, clock=clock, blobs=blob_store, limits=document_limits, plans=usage_allowance
    )
    update_qa_pair = providers.Factory(
        UpdateQaPair, uow=uow, clock=clock, blobs=blob_store, limits=document_limits, plans=usage_allowance
    )
    delete_qa_pair = providers.Factory(DeleteQaPair, uow=uow, purge=purge_document_data, clock=clock)
    import_qa_pairs = providers.Factory(
        ImportQaPairs, uow=uow, clock=clock, blobs=blob_store, limits=document_limits, plans=usage_allowance
    )
    export_qa_pairs = providers.Factory(ExportQaPairs, uow=uow)
    site_fetcher = providers.Singleton(_site_fetcher, settings)
    page_extractor = providers.Singleton(TrafilaturaPageExtractor)
    crawl_source = providers.Factory(
        CrawlSource,
        uow=uow,
        clock=clock,
        blobs=blob_store,
        site=site_fetcher,
        extractor=page_extractor,
        limits=document_limits,
        purge=purge_document_data,
        plans=usage_allowance,
        source_limits=source_limits,
    )
    change_embedding_model = providers.Factory(ChangeEmbeddingModel, uow=uow, embedders=embedders)
    switch_embedding_model = providers.Factory(
        SwitchEmbeddingModel, uow=uow, chunk_store=chunk_store, chunker=chunker, embedders=embedders
    )
    reindex_document = providers.Factory(
        ReindexDocument, uow=uow, chunk_store=chunk_store, chunker=chunker, embedders=embedders
    )
    rename_document = providers.Factory(RenameDocument, uow=uow, clock=clock)

    # --- usage and billing ---------------------------------------------------------------
    payment_gateway = providers.Singleton(_payment_gateway, settings)
    webhook_verifier = providers.Singleton(_webhook_verifier, settings)
    record_usage = providers.Factory(RecordUsage, uow=uow)
    get_usage_report = providers.Factory(GetUsageReport, uow=uow)
    list_plans = providers.Factory(ListPlans, config=billing_config)
    start_checkout = providers.Factory(
        StartCheckout, uow=uow, gateway=payment_gateway, clock=clock, config=billing_config
    )
    open_billing_portal = providers.Factory(OpenBillingPortal, uow=uow, gateway=payment_gateway, config=billing_config)
    get_billing_overview = providers.Factory(GetBillingOverview, uow=uow, clock=clock, config=billing_config)
    set_agent_token_cap = providers.Factory(SetAgentTokenCap, uow=uow)
    receive_stripe_event = providers.Factory(ReceiveStripeEvent, uow=uow, verifier=webhook_verifier, clock=clock)
    process_stripe_event = providers.Factory(
        ProcessStripeEvent, uow=uow, gateway=payment_gateway, clock=clock, config=billing_config
    )
    send_billing_notice = providers.Factory(SendBillingNotice, uow=uow, mailer=mailer)
    downgrade_after_grace = providers.Factory(DowngradeAfterGrace, uow=uow, clock=clock, config=billing_config)
    report_metered_usage = providers.Factory(
        ReportMeteredUsage, uow=uow, gateway=payment_gateway, clock=clock, config=billing_config
    )
    reconcile_metered_usage = providers.Factory(ReconcileMeteredUsage, uow=uow, clock=clock, config=billing_config)
    purge_expired_billing_records = providers.Factory(PurgeExpiredBillingRecords, uow=uow, clock=clock)

    # --- chat ----------------------------------------------------------------------------
    chat_model = providers.Singleton(_chat_model, settings)
    chat_limits = providers.Object(ChatLimits())
    request_log = providers.Selector(
        backend,
        postgres=providers.Singleton(PostgresRequestLog, pool=pool),
        memory=providers.Singleton(InMemoryRequestLog, database=memory_database),
    )
    list_request_log = providers.Factory(ListRequestLog, request_log=request_log)
    passage_search = providers.Factory(KnowledgePassages, search=search_knowledge)
    match_curated_answer = providers.Factory(MatchCuratedAnswer, uow=uow)
    answer_chat = providers.Factory(
        AnswerChat,
        uow=uow,
        clock=clock,
        model=chat_model,
        search=passage_search,
        allowance=usage_allowance,
        curated=match_curated_answer,
    )
    open_widget = providers.Factory(OpenWidget, uow=uow, clock=clock)
    start_widget_session = providers.Factory(
        StartWidgetSession, uow=uow, clock=clock, limiter=rate_limiter, limits=chat_limits
    )
    list_visitor_sessions = providers.Factory(ListVisitorSessions, uow=uow, limits=chat_limits)
    read_visitor_session = providers.Factory(ReadVisitorSession, uow=uow)
    delete_visitor_session = providers.Factory(DeleteVisitorSession, uow=uow)
    replay_answer = providers.Factory(ReplayAnswer, uow=uow)
    send_widget_message = providers.Factory(
        SendWidgetMessage, answer=answer_chat, replay=replay_answer, limits=chat_limits
    )
    list_agent_sessions = providers.Factory(ListAgentSessions, uow=uow)
    get_chat_session = providers.Factory(GetChatSession, uow=uow)
    delete_chat_session = providers.Factory(DeleteChatSession, uow=uow)
    export_agent_sessions = providers.Factory(ExportAgentSessions, uow=uow)
    # --- the owner's improvement loop (issue 19) ------------------------------------------
    rate_answer = providers.Factory(RateAnswer, uow=uow, clock=clock, limiter=rate_limiter, limits=chat_limits)
    list_answer_feedback = providers.Factory(ListAnswerFeedback, uow=uow)
    get_curated_settings = providers.Factory(GetCuratedSettings, uow=uow)
    set_curated_settings = providers.Factory(SetCuratedSettings, uow=uow, clock=clock)
    fix_answer = providers.Factory(FixAnswer, uow=uow, add_pair=add_qa_pair)
    refresh_question_groups = providers.Factory(RefreshQuestionGroups, uow=uow, embedders=embedders, clock=clock)
    request_question_groups_refresh = providers.Factory(RequestQuestionGroupsRefresh, uow=uow, clock=clock)
    queue_due_question_group_refreshes = providers.Factory(QueueDueQuestionGroupRefreshes, uow=uow, clock=clock)
    list_question_groups = providers.Factory(ListQuestionGroups, uow=uow)
    dismiss_question_group = providers.Factory(DismissQuestionGroup, uow=uow, clock=clock)
    answer_question_group = providers.Factory(AnswerQuestionGroup, uow=uow, clock=clock, add_pair=add_qa_pair)
    # Test questions (issue 19): answered like a visitor's question, not recorded, not metered.
    create_test_question = providers.Factory(CreateTestQuestion, uow=uow, clock=clock)
    update_test_question = providers.Factory(UpdateTestQuestion, uow=uow, clock=clock)
    delete_test_question = providers.Factory(DeleteTestQuestion, uow=uow)
    list_test_questions = providers.Factory(ListTestQuestions, uow=uow)
    request_test_run = providers.Factory(RequestTestRun, uow=uow, clock=clock)
    list_test_runs = providers.Factory(ListTestRuns, uow=uow)
    get_test_run = providers.Factory(GetTestRun, uow=uow)
    run_test_questions = providers.Factory(
        RunTestQuestions,
        uow=uow,
        clock=clock,
        model=chat_model,
        search=passage_search,
        curated=match_curated_answer,
        facts_apply=providers.Callable(_facts_apply, chat_model),
    )
    review_conversations = providers.Factory(ReviewConversations, uow=uow)
    get_analytics = providers.Factory(GetAnalytics, uow=uow, clock=clock)
    export_analytics_csv = providers.Factory(ExportAnalyticsCsv, get_analytics=get_analytics)

    # --- live handoff to a person (issue 20) -----------------------------------------------
    get_handoff_settings = providers.Factory(GetHandoffSettings, uow=uow)
    update_handoff_settings = providers.Factory(UpdateHandoffSettings, uow=uow)
    get_handoff_availability = providers.Factory(GetHandoffAvailability, uow=uow, clock=clock)
    request_handoff = providers.Factory(RequestHandoff, uow=uow, clock=clock)
    cancel_handoff = providers.Factory(CancelHandoff, uow=uow, clock=clock)
    expire_stale_handoffs = providers.Factory(ExpireStaleHandoffs, uow=uow, clock=clock)
    send_handoff_message = providers.Factory(
        SendHandoffMessage, uow=uow, clock=clock, limiter=rate_limiter, limits=chat_limits
    )
    read_visitor_handoff = providers.Factory(ReadVisitorHandoff, uow=uow, clock=clock)
    read_owner_handoff = providers.Factory(ReadOwnerHandoff, uow=uow, clock=clock)
    list_handoff_inbox = providers.Factory(ListHandoffInbox, uow=uow, clock=clock)
    take_handoff = providers.Factory(TakeHandoff, uow=uow, clock=clock)
    reply_to_handoff = providers.Factory(ReplyToHandoff, uow=uow, clock=clock)
    hand_back_conversation = providers.Factory(HandBackConversation, uow=uow, clock=clock)
    save_handoff_reply_as_qa_pair = providers.Factory(SaveHandoffReplyAsQaPair, uow=uow, add_qa_pair=add_qa_pair)
    notify_owner_of_handoff = providers.Factory(NotifyOwnerOfHandoff, uow=uow, mailer=mailer, links=links)

    # --- privacy: rights, retention, policy versions --------------------------------------
    operational_records = providers.Selector(
        backend,
        postgres=providers.Singleton(PostgresOperationalRecords, pool=pool),
        memory=providers.Singleton(
            InMemoryOperationalRecords,
            request_log=request_log,
            job_store=job_store,
            chunk_store=chunk_store,
            database=memory_database,
        ),
    )
    deletion_grace = providers.Callable(deletion_grace, settings.provided.account_deletion_grace_days)
    kept_mail = providers.Singleton(_kept_mail, mailer)
    base_url = settings.provided.base_url
    get_privacy_overview = providers.Factory(GetPrivacyOverview, uow=uow)
    list_audit_log = providers.Factory(ListAuditLog, uow=uow)
    restrict_processing = providers.Factory(RestrictProcessing, uow=uow, clock=clock, records=operational_records)
    object_to_processing = providers.Factory(ObjectToProcessing, uow=uow, clock=clock, records=operational_records)
    request_export = providers.Factory(RequestExport, uow=uow, clock=clock)
    request_workspace_export = providers.Factory(RequestWorkspaceExport, uow=uow, clock=clock)
    list_exports = providers.Factory(ListExports, uow=uow)
    build_export = providers.Factory(
        BuildExport, uow=uow, clock=clock, blobs=blob_store, request_log=request_log, mailer=mailer, base_url=base_url
    )
    issue_export_link = providers.Factory(IssueExportLink, uow=uow, clock=clock, base_url=base_url)
    download_export = providers.Factory(DownloadExport, uow=uow, clock=clock, blobs=blob_store)
    request_account_deletion = providers.Factory(
        RequestAccountDeletion,
        uow=uow,
        clock=clock,
        hasher=password_hasher,
        gateway=payment_gateway,
        mailer=mailer,
        base_url=base_url,
        grace=deletion_grace,
    )
    cancel_account_deletion = providers.Factory(CancelAccountDeletion, uow=uow, clock=clock)
    find_visitor_conversations = providers.Factory(FindVisitorConversations, uow=uow)
    export_visitor_conversations = providers.Factory(ExportVisitorConversations, uow=uow, clock=clock)
    delete_visitor_conversations = providers.Factory(DeleteVisitorConversations, uow=uow, clock=clock)
    chat_retention = providers.Factory(SetChatRetention, uow=uow, clock=clock)
    get_chat_retention = providers.Factory(GetChatRetention, uow=uow)
    retention_sweeps = providers.Factory(
        RetentionSweeps,
        uow=uow,
        clock=clock,
        records=operational_records,
        blobs=blob_store,
        chunk_store=chunk_store,
        purge_finished_jobs=purge_finished_jobs,
        purge_billing_records=purge_expired_billing_records,
        kept_mail=kept_mail,
        outbox_retention=providers.Callable(outbox_retention, settings.provided.outbox_retention_days),
        extra_steps=providers.Dict(
            leads=providers.Factory(PurgeExpiredLeads, uow=uow, clock=clock),
            webhook_events=providers.Factory(PurgeOldWebhookEvents, uow=uow, clock=clock),
        ),
    )
    prepare_month_partitions = providers.Factory(PrepareMonthPartitions, records=operational_records, clock=clock)
    purge_workspace = providers.Factory(
        PurgeWorkspace, uow=uow, records=operational_records, blobs=blob_store, gateway=payment_gateway
    )
    purge_deleted_account = providers.Factory(
        PurgeDeletedAccount,
        uow=uow,
        blobs=blob_store,
        purge_workspace=purge_workspace,
        mailer=mailer,
        kept_mail=kept_mail,
    )
    purge_deleted_accounts = providers.Factory(
        PurgeDeletedAccounts, uow=uow, clock=clock, records=operational_records, purge_account=purge_deleted_account
    )
    delete_stripe_customer = providers.Factory(DeleteStripeCustomer, gateway=payment_gateway)
    record_api_requests = providers.Factory(RecordApiRequests, request_log=request_log)
    ingest_unless_restricted = providers.Factory(IngestUnlessRestricted, uow=uow, ingest=ingest_document)
    policy_cache = providers.Singleton(PolicyVersionsCache)
    published_policy = providers.Singleton(GetPublishedPolicy, uow=uow, clock=clock, cache=policy_cache)
    retention_report = providers.Factory(RetentionReport, uow=uow)
    processing_allowed = providers.Factory(CheckProcessingAllowed, uow=uow)
    reindex_unless_restricted = providers.Factory(ReindexUnlessRestricted, uow=uow, reindex=reindex_document)
    crawl_unless_restricted = providers.Factory(CrawlUnlessRestricted, uow=uow, crawl=crawl_source)
    policy_status = providers.Factory(GetPolicyStatus, uow=uow, clock=clock)
    accept_policy = providers.Factory(AcceptPolicy, uow=uow, clock=clock)
    publish_policy_version = providers.Factory(PublishPolicyVersion, uow=uow, clock=clock, cache=policy_cache)
    send_policy_notices = providers.Factory(SendPolicyNotices, uow=uow, clock=clock, mailer=mailer, base_url=base_url)

    # --- outbound webhooks --------------------------------------------------------------
    webhook_transport = providers.Singleton(_webhook_transport, settings)
    create_webhook_endpoint = providers.Factory(
        CreateWebhookEndpoint, uow=uow, clock=clock, transport=webhook_transport
    )
    list_webhook_endpoints = providers.Factory(ListWebhookEndpoints, uow=uow)
    list_webhook_event_types = providers.Factory(ListWebhookEventTypes)
    get_webhook_endpoint = providers.Factory(GetWebhookEndpoint, uow=uow)
    update_webhook_endpoint = providers.Factory(
        UpdateWebhookEndpoint, uow=uow, clock=clock, transport=webhook_transport
    )
    delete_webhook_endpoint = providers.Factory(DeleteWebhookEndpoint, uow=uow)
    rotate_webhook_secret = providers.Factory(RotateWebhookSecret, uow=uow, clock=clock)
    send_test_webhook = providers.Factory(SendTestWebhook, uow=uow, clock=clock)
    redeliver_webhook = providers.Factory(RedeliverWebhook, uow=uow, clock=clock)
    deliver_webhook_event = providers.Factory(DeliverWebhookEvent, uow=uow, clock=clock, transport=webhook_transport)
    notify_webhook_disabled = providers.Factory(NotifyWebhookDisabled, uow=uow, mailer=mailer, base_url=base_url)

    # --- lead capture --------------------------------------------------------------------
    get_lead_form = providers.Factory(GetLeadForm, uow=uow)
    update_lead_form = providers.Factory(UpdateLeadForm, uow=uow, clock=clock)
    get_widget_lead_form = providers.Factory(GetWidgetLeadForm, uow=uow)
    submit_lead = providers.Factory(SubmitLead, uow=uow, clock=clock, limiter=rate_limiter)
    list_leads = providers.Factory(ListLeads, uow=uow)
    export_leads_csv = providers.Factory(ExportLeadsCsv, uow=uow)
    delete_lead = providers.Factory(DeleteLead, uow=uow)
    list_visitor_leads = providers.Factory(ListVisitorLeads, uow=uow)
    delete_visitor_leads = providers.Factory(DeleteVisitorLeads, uow=uow)
    purge_expired_leads = providers.Factory(PurgeExpiredLeads, uow=uow, clock=clock)
    notify_new_lead = providers.Factory(NotifyNewLead, uow=uow, mailer=mailer, base_url=base_url)
    notify_test_failures = providers.Factory(NotifyTestFailures, uow=uow, mailer=mailer, base_url=base_url)

    # --- demo ----------------------------------------------------------------------------
    seed_demo = providers.Factory(
        SeedDemo,
        uow=uow,
        clock=clock,
        hasher=password_hasher,
        create_agent=create_agent,
        list_agents=list_agents,
        update_agent=update_agent,
        add_document=add_document,
        replace_document=replace_document,
        list_documents=list_documents,
    )


AppContainer = Container


def container_on_postgres(*, settings: Settings, conninfo: str) -> Container:
    """The container on PostgreSQL with pgvector."""
    return Container(settings=settings, backend="postgres", conninfo=conninfo)


def container_in_memory(*, settings: Settings) -> Container:
    """The container with everything in process memory: no database; data ends with the process."""
    return Container(settings=settings, backend="memory")


async def start(container: Container) -> None:
    """Start every lifecycle resource, in order."""
    for resource in container.lifecycle():
        await resource.start()


# The providers whose adapters may hold outbound connections (each is closed if it is Closeable).
CLOSED_AT_STOP = ("identity_provider", "payment_gateway", "embedders", "chat_model", "reranker")


async def stop(container: Container) -> None:
    """Close the outbound clients (every :class:`Closeable` adapter), then stop every lifecycle
    resource, in reverse order."""
    for name in CLOSED_AT_STOP:
        client = getattr(container, name)()
        if isinstance(client, Closeable):
            await client.aclose()
    for resource in reversed(container.lifecycle()):
        await resource.stop()
