"""The payloads of the background jobs: what each job kind carries in the queue (JSON), typed.

The worker decodes a job's payload into its type at the handler's edge
(``entrypoints/worker/runner.decoded``): a payload that does not fit is a
:class:`~aioomi.domain.model.errors.PermanentFailure` (retrying cannot mend it), named with the
field that broke it. Unknown fields are ignored, so a payload written by an older or newer
release still decodes. The privacy jobs' payloads live with their use cases
(``BuildExportPayload``, ``DeleteStripeCustomerPayload``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from aioomi.domain.model.jobs import NewJob


class Payload(msgspec.Struct, frozen=True, kw_only=True):
    """The base of every job payload."""


class EmailPayload(Payload, frozen=True, kw_only=True):
    """``accounts.send_reset_link`` and ``accounts.send_verification_link``: the address asked for."""

    email: str


class SignUpMailPayload(Payload, frozen=True, kw_only=True):
    """``accounts.send_sign_up_mail``: the account the sign-up named; ``already_registered``:
    the address had an account already (it gets a different e-mail)."""

    account_id: str
    already_registered: bool


class NotifyOwnerPayload(Payload, frozen=True, kw_only=True):
    """``handoff.notify_owner``: the conversation whose visitor asked for a person."""

    account_id: str
    session_id: str
    seq: int | None = None


class StripeEventPayload(Payload, frozen=True, kw_only=True):
    """``billing.process_event``: the stored Stripe event to process."""

    event_id: str


class BillingNoticePayload(Payload, frozen=True, kw_only=True):
    """``billing.send_notice``: which notice to mail the account (and, for a failed payment,
    when its grace period ends, ISO 8601)."""

    account_id: str
    notice: str
    grace_ends_at: str | None = None


class IngestDocumentPayload(Payload, frozen=True, kw_only=True):
    """``documents.ingest``: the document version to ingest, and the start this job is."""

    account_id: str
    document_id: str
    version: int
    attempt: int = 1


class PurgeDocumentPayload(Payload, frozen=True, kw_only=True):
    """``documents.purge``: a deleted document's chunks, in the embedding models named."""

    account_id: str
    agent_id: str
    document_id: str
    models: list[str] = []


class SwitchEmbeddingModelPayload(Payload, frozen=True, kw_only=True):
    """``knowledge.switch_model``: the agent and the embedding model to move its knowledge to."""

    account_id: str
    agent_id: str
    model: str


class ReindexDocumentPayload(Payload, frozen=True, kw_only=True):
    """``documents.reindex``: the document to re-index (at ``version``, when given)."""

    account_id: str
    document_id: str
    version: int | None = None


class SyncSourcePayload(Payload, frozen=True, kw_only=True):
    """``sources.sync``: the run of a source to carry out."""

    account_id: str
    source_id: str
    run_id: str


class DeliverWebhookPayload(Payload, frozen=True, kw_only=True):
    """``webhooks.deliver``: an event to deliver (to one endpoint, or to every subscribed one),
    which start this is, and whether the owner asked for it again by hand."""

    account_id: str
    event_id: str
    endpoint_id: str | None = None
    attempt: int = 1
    manual: bool = False


class WebhookEndpointPayload(Payload, frozen=True, kw_only=True):
    """``webhooks.notify_disabled``: the endpoint that was disabled."""

    account_id: str
    endpoint_id: str


class NewLeadPayload(Payload, frozen=True, kw_only=True):
    """``leads.notify_new``: the lead to tell the owner about."""

    account_id: str
    lead_id: str


class AgentPayload(Payload, frozen=True, kw_only=True):
    """A job about one agent (``question_groups.refresh``)."""

    account_id: str
    agent_id: str


class RunTestQuestionsPayload(Payload, frozen=True, kw_only=True):
    """``run_test_questions``: the agent whose test questions to run, and what started it."""

    account_id: str
    agent_id: str
    trigger: str = "manual"


class FailedRunPayload(Payload, frozen=True, kw_only=True):
    """``notify_test_failures``: the finished test run whose failures to mail."""

    account_id: str
    run_id: str


def purge_document_payload(
    account_id: str, agent_id: str, document_id: str, models: Iterable[str | None]
) -> PurgeDocumentPayload:
    """The purge of a deleted document's chunks in every embedding model it may be stored in
    (the document's, the agent's, the knowledge base's and its pending one): each named once,
    in that order; a model not set is left out."""
    return PurgeDocumentPayload(
        account_id=account_id,
        agent_id=agent_id,
        document_id=document_id,
        models=list(dict.fromkeys(m for m in models if m)),
    )


def job_of(kind: str, payload: Payload, **options: Any) -> NewJob:
    """A job of ``kind`` carrying ``payload`` (as the JSON the queue stores)."""
    return NewJob(kind=kind, payload=msgspec.to_builtins(payload), **options)
