"""One transaction per use case."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from aioomi.ports.accounts import (
    AccountRepository,
    ApiKeyRepository,
    OneTimeTokenRepository,
    OwnerSessionRepository,
    PendingSignInRepository,
    TrustedDeviceRepository,
)
from aioomi.ports.agents import AgentRepository
from aioomi.ports.analytics import AnalyticsRepository
from aioomi.ports.billing import BillingStore
from aioomi.ports.chat import ChatMessageRepository, ChatSessionRepository, ChatTurnReader
from aioomi.ports.conversation_review import ConversationReviewRepository
from aioomi.ports.curated import CuratedSettingsRepository
from aioomi.ports.documents import DocumentRepository
from aioomi.ports.feedback import AnswerFeedbackRepository
from aioomi.ports.handoff import HandoffRepository
from aioomi.ports.job_queue import JobQueue
from aioomi.ports.leads import LeadStore
from aioomi.ports.privacy import PrivacyStore
from aioomi.ports.question_groups import QuestionGroupRepository
from aioomi.ports.sources import SourceRepository
from aioomi.ports.test_questions import TestQuestionStore
from aioomi.ports.usage import UsageLedger
from aioomi.ports.webhooks import WebhookStore
from aioomi.ports.workspaces import WorkspaceRepository


class UnitOfWork(Protocol):
    """A transaction and the repositories that work inside it.

    Use it as ``async with uow_factory(account_id=…) as uow: ...; await uow.commit()``.
    Leaving the block without ``commit`` rolls everything back, including enqueued jobs.
    """

    jobs: JobQueue
    accounts: AccountRepository
    sessions: OwnerSessionRepository
    api_keys: ApiKeyRepository
    tokens: OneTimeTokenRepository
    devices: TrustedDeviceRepository
    pending_sign_ins: PendingSignInRepository
    agents: AgentRepository
    documents: DocumentRepository
    sources: SourceRepository
    chat_sessions: ChatSessionRepository
    chat_messages: ChatMessageRepository
    chat_turns: ChatTurnReader
    feedback: AnswerFeedbackRepository
    curated_settings: CuratedSettingsRepository
    question_groups: QuestionGroupRepository
    test_questions: TestQuestionStore
    conversation_review: ConversationReviewRepository
    analytics: AnalyticsRepository
    handoffs: HandoffRepository
    usage: UsageLedger
    billing: BillingStore
    privacy: PrivacyStore
    webhooks: WebhookStore
    leads: LeadStore
    workspaces: WorkspaceRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every change of this unit of work durable at once."""
        ...


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work scoped to one tenant.

    ``account_id`` names the account whose data the unit of work may see; the Postgres adapter
    enforces it a second time with row-level security. ``None`` opens the system scope, for
    the few steps that act before anyone is known (sign-in look-ups) or across accounts
    (the worker's sweeps): pass it explicitly, there is no default.

    ``read_only``: the unit only reads and is never committed (``commit`` refuses); a store may
    then skip the transaction's begin and end (each read may see its own snapshot) and refuses
    writes. ``defer_writes``: statements that return nothing (adding a message, touching a
    session, a usage entry) may be held back and sent with the next statement or with
    ``commit``, so their errors may surface there rather than at the call.
    """

    def __call__(
        self, *, account_id: str | None, read_only: bool = False, defer_writes: bool = False
    ) -> UnitOfWork: ...
