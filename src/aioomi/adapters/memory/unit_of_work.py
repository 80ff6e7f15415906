"""Units of work in memory: changes are staged and applied together at commit."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aioomi.adapters.local.system_clock import SystemClock
from aioomi.adapters.memory.accounts import (
    InMemoryAccountRepository,
    InMemoryApiKeyRepository,
    InMemoryOneTimeTokenRepository,
    InMemoryOwnerSessionRepository,
    InMemoryPendingSignInRepository,
    InMemoryTrustedDeviceRepository,
)
from aioomi.adapters.memory.agents import InMemoryAgentRepository
from aioomi.adapters.memory.analytics import InMemoryAnalyticsRepository
from aioomi.adapters.memory.billing import SYSTEM_ONLY, InMemoryBillingStore
from aioomi.adapters.memory.chat import InMemoryChatMessageRepository, InMemoryChatSessionRepository
from aioomi.adapters.memory.chat_turns import InMemoryChatTurnReader
from aioomi.adapters.memory.conversation_review import InMemoryConversationReviewRepository
from aioomi.adapters.memory.curated import InMemoryCuratedSettingsRepository
from aioomi.adapters.memory.documents import InMemoryDocumentRepository
from aioomi.adapters.memory.feedback import InMemoryAnswerFeedbackRepository
from aioomi.adapters.memory.handoff import InMemoryHandoffRepository
from aioomi.adapters.memory.job_store import InMemoryJobStore
from aioomi.adapters.memory.leads import InMemoryLeadStore
from aioomi.adapters.memory.privacy import InMemoryPrivacyStore
from aioomi.adapters.memory.question_groups import InMemoryQuestionGroupRepository
from aioomi.adapters.memory.rate_limiter import InMemoryRateLimiter
from aioomi.adapters.memory.sources import InMemorySourceRepository
from aioomi.adapters.memory.tables import MemoryDatabase, Table
from aioomi.adapters.memory.test_questions import InMemoryTestQuestionStore
from aioomi.adapters.memory.usage import InMemoryUsageLedger
from aioomi.adapters.memory.webhooks import InMemoryWebhookStore
from aioomi.adapters.memory.workspaces import InMemoryWorkspaceRepository
from aioomi.domain.model.jobs import NewJob


class _StagedJobQueue:
    def __init__(self) -> None:
        self.staged: list[NewJob] = []

    async def enqueue(self, job: NewJob) -> str | None:
        # The id is known only at commit in memory; callers that need it read it from the store.
        self.staged.append(job)
        return None


class InMemoryUnitOfWork:
    """Works on copies of the tables, scoped to one tenant like row-level security would;
    ``commit`` writes the changed rows back and enqueues the staged jobs; leaving without
    commit drops everything."""

    def __init__(
        self,
        database: MemoryDatabase,
        job_store: InMemoryJobStore,
        account_id: str | None,
        *,
        read_only: bool = False,
        limiter: InMemoryRateLimiter | None = None,
    ) -> None:
        self._database = database
        self._job_store = job_store
        self._limiter = limiter or InMemoryRateLimiter(SystemClock())
        self._scope = account_id
        self._read_only = read_only

    def _table(self, name: str, owner_of) -> Table:
        table = Table(self._database.table(name), owner_of, self._scope)
        self._tables.append(table)
        return table

    async def __aenter__(self) -> Self:
        self._tables: list[Table] = []
        self.jobs = _StagedJobQueue()
        accounts = self._table("accounts", lambda a: a.id)
        self.workspaces = InMemoryWorkspaceRepository(
            self._table("workspaces", lambda w: w.id),
            self._table("workspace_members", lambda m: m.workspace_id),
            self._table("workspace_invitations", lambda i: i.workspace_id),
            self._table("audit_events", lambda e: e.workspace_id),
            accounts=accounts,
        )
        self.accounts = InMemoryAccountRepository(accounts, self._database.table("accounts"), self.workspaces)
        self.sessions = InMemoryOwnerSessionRepository(
            self._table("owner_sessions", lambda s: s.account_id), self.accounts, self.workspaces
        )
        self.api_keys = InMemoryApiKeyRepository(
            self._table("api_keys", lambda k: k.account_id), self.accounts, self.workspaces
        )
        self.tokens = InMemoryOneTimeTokenRepository(self._table("one_time_tokens", lambda t: t.account_id))
        self.devices = InMemoryTrustedDeviceRepository(self._table("trusted_devices", lambda d: d.account_id))
        self.pending_sign_ins = InMemoryPendingSignInRepository(self._table("pending_sign_ins", lambda p: None))
        self.agents = InMemoryAgentRepository(
            self._table("agents", lambda a: a.account_id),
            self._database.table("agents"),
            self._table("widget_refused_origins", lambda r: r.account_id),
            self._database.table("accounts"),
            self._database.table("workspace_members"),
        )
        documents = self._table("documents", lambda d: d.account_id)
        texts = self._table("document_texts", lambda t: t.account_id)
        self.documents = InMemoryDocumentRepository(
            documents, texts, self._table("knowledge_bases", lambda b: b.account_id)
        )
        self.sources = InMemorySourceRepository(
            self._table("knowledge_sources", lambda s: s.account_id),
            self._table("source_runs", lambda r: r.account_id),
            documents,
            texts,
            self._table("source_pages", lambda p: p.account_id),
            self._table("qa_pairs", lambda p: p.account_id),
        )
        chat_sessions = self._table("chat_sessions", lambda s: s.account_id)
        chat_messages = self._table("chat_messages", lambda m: m.account_id)
        self.chat_sessions = InMemoryChatSessionRepository(chat_sessions, chat_messages)
        self.chat_messages = InMemoryChatMessageRepository(chat_messages, chat_sessions)
        self.chat_turns = InMemoryChatTurnReader(self, self._limiter)
        self.feedback = InMemoryAnswerFeedbackRepository(chat_messages)
        curated = self._table("agent_curated_answers", lambda r: r[0])
        self.curated_settings = InMemoryCuratedSettingsRepository(curated, self.sources)
        groups = self._table("question_groups", lambda g: g.account_id)
        refreshes = self._table("question_group_refreshes", lambda r: r[0])
        self.question_groups = InMemoryQuestionGroupRepository(
            groups, chat_messages, refreshes, self._table("agents", lambda a: a.account_id)
        )
        test_questions = self._table("test_questions", lambda q: q.account_id)
        test_runs = self._table("test_runs", lambda r: r.account_id)
        self.test_questions = InMemoryTestQuestionStore(test_questions, test_runs)
        # The improvement loop's rows go with their agent, as Postgres cascades them.
        for by_agent_id in (curated, refreshes):
            self.agents.cascade_to(by_agent_id, lambda key, row: key)
        for with_agent_id in (groups, test_questions, test_runs):
            self.agents.cascade_to(with_agent_id, lambda key, row: row.agent_id)
        self.conversation_review = InMemoryConversationReviewRepository(
            chat_sessions,
            chat_messages,
            self._table("handoff_events", lambda e: e.account_id),
            self._table("leads", lambda lead: lead.account_id),
        )
        self.analytics = InMemoryAnalyticsRepository(
            chat_sessions, chat_messages, self._table("question_groups", lambda g: g.account_id)
        )
        self.handoffs = InMemoryHandoffRepository(
            chat_sessions,
            chat_messages,
            self._table("handoff_events", lambda e: e.account_id),
            self._table("handoff_settings", lambda r: r.account_id),
            self._table("agents", lambda a: a.account_id),
        )
        self.usage = InMemoryUsageLedger(
            self._table("usage_entries", lambda e: e.account_id), self._table("usage_caps", lambda c: c.account_id)
        )
        self.billing = InMemoryBillingStore(
            self._table("billing_accounts", lambda b: b.account_id),
            self._table("billing_records", lambda r: r.account_id or SYSTEM_ONLY),
            self._table("stripe_events", lambda e: SYSTEM_ONLY),
            self._table("meter_events", lambda m: m.account_id),
            self._table("billing_runs", lambda r: SYSTEM_ONLY),
        )
        self.privacy = InMemoryPrivacyStore(self._table, self._database)
        self.webhooks = InMemoryWebhookStore(
            self._table("webhook_endpoints", lambda e: e.account_id),
            self._table("webhook_events", lambda e: e.account_id),
            self._table("webhook_deliveries", lambda d: d.account_id),
            self._table("webhook_attempts", lambda a: a.account_id),
            self.jobs,
        )
        self.leads = InMemoryLeadStore(
            self._table("agent_lead_forms", lambda f: f.account_id), self._table("leads", lambda lead: lead.account_id)
        )
        # Conversations, their handoff and the agent's lead form and leads go with the agent, as
        # the Postgres foreign keys cascade them (chat_sessions, agent_lead_forms, leads and
        # handoff_settings reference agents; messages and handoff events their session). The
        # handoff events are matched through their session, so they are listed before it.
        handoff_events = self._table("handoff_events", lambda e: e.account_id)

        def session_agent(key: str, event: Any) -> str | None:
            session = chat_sessions.get(event.session_id)
            return session.agent_id if session is not None else None

        self.agents.cascade_to(handoff_events, session_agent)
        for with_agent_id in (
            chat_sessions,
            chat_messages,
            self._table("agent_lead_forms", lambda f: f.account_id),
            self._table("leads", lambda lead: lead.account_id),
        ):
            self.agents.cascade_to(with_agent_id, lambda key, row: row.agent_id)
        self.agents.cascade_to(self._table("handoff_settings", lambda r: r.account_id), lambda key, row: key)
        return self

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("commit() in a read-only unit of work")
        await self.webhooks.flush()  # the outbox: events with their deliveries and job, or nothing
        for table in self._tables:
            table.commit()
        for job in self.jobs.staged:
            self._job_store.add_now(job)
        self.jobs.staged.clear()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.jobs.staged.clear()
        self.webhooks.discard()


class InMemoryUnitOfWorkFactory:
    """``limiter``: the rate-limit counters a chat turn's read counts in (the container's rate
    limiter; one of the factory's own when not given)."""

    def __init__(
        self, database: MemoryDatabase, job_store: InMemoryJobStore, limiter: InMemoryRateLimiter | None = None
    ) -> None:
        self._database = database
        self._job_store = job_store
        self._limiter = limiter or InMemoryRateLimiter(SystemClock())

    def __call__(
        self, *, account_id: str | None, read_only: bool = False, defer_writes: bool = False
    ) -> InMemoryUnitOfWork:
        # Changes are staged until commit here anyway; their errors are raised at the call.
        return InMemoryUnitOfWork(
            self._database, self._job_store, account_id, read_only=read_only, limiter=self._limiter
        )
