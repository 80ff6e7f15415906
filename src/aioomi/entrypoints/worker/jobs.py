"""What the worker runs: job kinds mapped to use cases, and the periodic schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from aioomi.container import AppContainer
from aioomi.domain.model.billing import PROCESS_EVENT_JOB, SEND_NOTICE_JOB
from aioomi.domain.model.documents import INGEST_DOCUMENT, PURGE_DOCUMENT, REINDEX_DOCUMENT, SWITCH_EMBEDDING_MODEL
from aioomi.domain.model.job_payloads import (
    AgentPayload,
    BillingNoticePayload,
    DeliverWebhookPayload,
    FailedRunPayload,
    IngestDocumentPayload,
    NewLeadPayload,
    PurgeDocumentPayload,
    ReindexDocumentPayload,
    RunTestQuestionsPayload,
    StripeEventPayload,
    SwitchEmbeddingModelPayload,
    SyncSourcePayload,
    WebhookEndpointPayload,
)
from aioomi.domain.model.leads import NOTIFY_NEW_LEAD
from aioomi.domain.model.sources import SYNC_SOURCE
from aioomi.domain.model.webhooks import DELIVER_WEBHOOK, NOTIFY_WEBHOOK_DISABLED
from aioomi.domain.usecases.question_groups.queue_due_question_group_refreshes import (
    QUEUE_DUE_QUESTION_GROUP_REFRESHES,
)
from aioomi.domain.usecases.question_groups.refresh_question_groups import REFRESH_QUESTION_GROUPS
from aioomi.domain.usecases.test_questions.notify_test_failures import NOTIFY_TEST_FAILURES
from aioomi.domain.usecases.test_questions.request_test_run import RUN_TEST_QUESTIONS
from aioomi.entrypoints.worker import account_jobs, handoff_jobs, privacy_jobs
from aioomi.entrypoints.worker.runner import JobHandler, PeriodicTask, Worker, decoded

PURGE_FINISHED_JOBS = "jobs.purge_finished"
PURGE_RATE_LIMIT_COUNTERS = "rate_limits.purge_expired"
REPORT_METERED_USAGE = "billing.report_metered_usage"
RECONCILE_METERED_USAGE = "billing.reconcile_metered_usage"
PURGE_BILLING_RECORDS = "billing.purge_expired_records"
DOWNGRADE_AFTER_GRACE = "billing.downgrade_after_grace"
REFRESH_LEXICAL_IMPACTS = "knowledge.refresh_lexical_impacts"
SYNC_DUE_SOURCES = "sources.sync_due"

log = structlog.get_logger("aioomi.worker.billing")


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    """Job kind → handler. Each handler decodes its JSON payload into its typed payload
    (:mod:`aioomi.domain.model.job_payloads`; malformed: a permanent failure) and calls a use case."""

    async def purge_finished_jobs(_: dict[str, Any]) -> object:
        return await container.purge_finished_jobs()()

    async def purge_rate_limit_counters(_: dict[str, Any]) -> object:
        return await container.purge_rate_limit_counters()()

    async def process_stripe_event(job: StripeEventPayload) -> object:
        return await container.process_stripe_event()(job.event_id)

    async def send_billing_notice(job: BillingNoticePayload) -> object:
        return await container.send_billing_notice()(job.account_id, job.notice, job.grace_ends_at)

    async def report_metered_usage(_: dict[str, Any]) -> object:
        return await container.report_metered_usage()()

    async def reconcile_metered_usage(_: dict[str, Any]) -> object:
        summary = await container.reconcile_metered_usage()()
        for difference in summary["differences"]:
            log.warning("metered usage differs from what was reported", **difference)
        return summary

    async def purge_billing_records(_: dict[str, Any]) -> object:
        summary = await container.purge_expired_billing_records()()
        log.info("billing records swept", **summary)
        return summary

    async def downgrade_after_grace(_: dict[str, Any]) -> object:
        return await container.downgrade_after_grace()()

    async def refresh_lexical_impacts(_: dict[str, Any]) -> object:
        return await container.refresh_lexical_impacts()()

    async def ingest_document(job: IngestDocumentPayload) -> object:
        return await container.ingest_unless_restricted()(job.account_id, job.document_id, job.version, job.attempt)

    async def purge_document(job: PurgeDocumentPayload) -> object:
        return await container.purge_document_data()(job.account_id, job.agent_id, job.document_id, job.models)

    async def switch_embedding_model(job: SwitchEmbeddingModelPayload) -> object:
        return await container.switch_embedding_model()(job.account_id, job.agent_id, job.model)

    async def reindex_document(job: ReindexDocumentPayload) -> object:
        return await container.reindex_unless_restricted()(job.account_id, job.document_id, job.version)

    async def sync_source(job: SyncSourcePayload) -> object:
        return await container.crawl_unless_restricted()(job.account_id, job.source_id, job.run_id)

    async def sync_due_sources(_: dict[str, Any]) -> object:
        return await container.sync_due_sources()()

    async def deliver_webhook(job: DeliverWebhookPayload) -> object:
        return await container.deliver_webhook_event()(
            job.account_id, job.event_id, job.endpoint_id, job.attempt, job.manual
        )

    async def notify_webhook_disabled(job: WebhookEndpointPayload) -> object:
        return {"sent": await container.notify_webhook_disabled()(job.account_id, job.endpoint_id)}

    async def notify_new_lead(job: NewLeadPayload) -> object:
        return {"sent": await container.notify_new_lead()(job.account_id, job.lead_id)}

    async def refresh_question_groups(job: AgentPayload) -> object:
        return await container.refresh_question_groups()(job.account_id, job.agent_id)

    async def run_test_questions(job: RunTestQuestionsPayload) -> object:
        return await container.run_test_questions()(job.account_id, job.agent_id, job.trigger)

    async def notify_test_failures(job: FailedRunPayload) -> object:
        return {"sent": await container.notify_test_failures()(job.account_id, job.run_id)}

    async def queue_due_question_group_refreshes(_: dict[str, Any]) -> object:
        return await container.queue_due_question_group_refreshes()()

    return (
        {
            NOTIFY_NEW_LEAD: decoded(NewLeadPayload, notify_new_lead),
            DELIVER_WEBHOOK: decoded(DeliverWebhookPayload, deliver_webhook),
            NOTIFY_WEBHOOK_DISABLED: decoded(WebhookEndpointPayload, notify_webhook_disabled),
            PURGE_FINISHED_JOBS: purge_finished_jobs,
            REINDEX_DOCUMENT: decoded(ReindexDocumentPayload, reindex_document),
            SYNC_SOURCE: decoded(SyncSourcePayload, sync_source),
            SYNC_DUE_SOURCES: sync_due_sources,
            REFRESH_QUESTION_GROUPS: decoded(AgentPayload, refresh_question_groups),
            RUN_TEST_QUESTIONS: decoded(RunTestQuestionsPayload, run_test_questions),
            NOTIFY_TEST_FAILURES: decoded(FailedRunPayload, notify_test_failures),
            QUEUE_DUE_QUESTION_GROUP_REFRESHES: queue_due_question_group_refreshes,
            INGEST_DOCUMENT: decoded(IngestDocumentPayload, ingest_document),
            PURGE_DOCUMENT: decoded(PurgeDocumentPayload, purge_document),
            SWITCH_EMBEDDING_MODEL: decoded(SwitchEmbeddingModelPayload, switch_embedding_model),
            PURGE_RATE_LIMIT_COUNTERS: purge_rate_limit_counters,
            PROCESS_EVENT_JOB: decoded(StripeEventPayload, process_stripe_event),
            SEND_NOTICE_JOB: decoded(BillingNoticePayload, send_billing_notice),
            REPORT_METERED_USAGE: report_metered_usage,
            RECONCILE_METERED_USAGE: reconcile_metered_usage,
            PURGE_BILLING_RECORDS: purge_billing_records,
            DOWNGRADE_AFTER_GRACE: downgrade_after_grace,
            REFRESH_LEXICAL_IMPACTS: refresh_lexical_impacts,
        }
        | privacy_jobs.handlers(container)
        | account_jobs.handlers(container)
        | handoff_jobs.handlers(container)
    )


PERIODIC = (
    PeriodicTask(kind=PURGE_FINISHED_JOBS, every=timedelta(hours=1)),
    PeriodicTask(kind=PURGE_RATE_LIMIT_COUNTERS, every=timedelta(minutes=15)),
    PeriodicTask(kind=REPORT_METERED_USAGE, every=timedelta(hours=1)),
    PeriodicTask(kind=RECONCILE_METERED_USAGE, every=timedelta(days=1)),
    PeriodicTask(kind=PURGE_BILLING_RECORDS, every=timedelta(days=1)),
    PeriodicTask(kind=DOWNGRADE_AFTER_GRACE, every=timedelta(hours=1)),
    PeriodicTask(kind=REFRESH_LEXICAL_IMPACTS, every=timedelta(minutes=10)),
    PeriodicTask(kind=SYNC_DUE_SOURCES, every=timedelta(minutes=5)),
    PeriodicTask(kind=QUEUE_DUE_QUESTION_GROUP_REFRESHES, every=timedelta(minutes=10)),
    *privacy_jobs.PERIODIC,
    *handoff_jobs.PERIODIC,
)


def build_worker(container: AppContainer) -> Worker:
    settings = container.settings()
    return Worker(
        container.job_store(),
        handlers(container),
        container.clock(),
        periodic=PERIODIC,
        concurrency=settings.worker_concurrency,
        poll_interval=timedelta(seconds=settings.worker_poll_s),
        lease=timedelta(seconds=settings.worker_lease_s),
        shutdown_grace=timedelta(seconds=settings.worker_shutdown_grace_s),
    )
