"""The ``data`` of each webhook event, built from the entity it reports (version 1; see
docs/webhooks.md). Adding a field is not a breaking change; renaming or removing one is, and
would bump ``PAYLOAD_VERSION``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.documents import Document
from aioomi.domain.model.feedback import Feedback
from aioomi.domain.model.handoff import HandoffEvent, HandoffEventKind
from aioomi.domain.model.sources import SourceRun
from aioomi.domain.model.test_questions import Outcome, TestRun

CONVERSATION_STARTED = "conversation.started"
MESSAGE_CREATED = "message.created"
FEEDBACK_CREATED = "feedback.created"
DOCUMENT_READY = "document.ready"
DOCUMENT_FAILED = "document.failed"
SOURCE_SYNCED = "source.synced"
TEST_RUN_FAILED = "test_run.failed"
HANDOFF_REQUESTED = "handoff.requested"
HANDOFF_TAKEN = "handoff.taken"
HANDOFF_ENDED = "handoff.ended"

HANDOFF_WEBHOOKS: dict[HandoffEventKind, tuple[str, str | None]] = {
    HandoffEventKind.REQUESTED: (HANDOFF_REQUESTED, None),
    HandoffEventKind.TAKEN: (HANDOFF_TAKEN, None),
    HandoffEventKind.ENDED: (HANDOFF_ENDED, "handed_back"),
    HandoffEventKind.EXPIRED: (HANDOFF_ENDED, "expired"),
    HandoffEventKind.CANCELLED: (HANDOFF_ENDED, "cancelled"),
}
"""The webhook each handoff move reports (a message reports none), with ``handoff.ended``'s
``reason``: an owner handed it back (or declined it while waiting), no one took it within the
maximum wait, or the visitor stopped waiting."""


def _time(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def conversation_started(session: ChatSession) -> dict[str, Any]:
    return {
        "conversation_id": session.id,
        "agent_id": session.agent_id,
        "visitor_id": session.visitor_id,
        "channel": str(session.channel),
        "created_at": _time(session.created_at),
    }


def message_created(message: ChatMessage) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "conversation_id": message.session_id,
        "agent_id": message.agent_id,
        "role": str(message.role),
        "status": str(message.status),
        "content": message.content,
        "reply_to": message.reply_to,
        "created_at": _time(message.created_at),
        "citations": [
            {"document_id": c.document_id, "title": c.document_title, "url": c.url} for c in message.citations
        ],
    }


def feedback_created(message: ChatMessage, feedback: Feedback) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "conversation_id": message.session_id,
        "agent_id": message.agent_id,
        "rating": str(feedback.rating),
        "comment": feedback.comment,
        "changed": feedback.updated_at != feedback.given_at,
        "given_at": _time(feedback.given_at),
        "updated_at": _time(feedback.updated_at),
    }


def document_settled(document: Document) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "agent_id": document.agent_id,
        "title": document.title,
        "status": str(document.status),
        "source_url": document.source_url,
        "filename": document.filename,
        "error": document.error,
        "updated_at": _time(document.updated_at),
    }


def source_synced(run: SourceRun) -> dict[str, Any]:
    return {
        "source_id": run.source_id,
        "agent_id": run.agent_id,
        "run_id": run.id,
        "status": str(run.status),
        "counts": msgspec.to_builtins(run.counts),
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
    }


def handoff_changed(session: ChatSession, event: HandoffEvent) -> tuple[str, dict[str, Any]] | None:
    """The webhook type and ``data`` reporting a handoff move, or ``None`` for a message."""
    webhook = HANDOFF_WEBHOOKS.get(event.kind)
    if webhook is None:
        return None
    type_, reason = webhook
    data: dict[str, Any] = {
        "conversation_id": event.session_id,
        "agent_id": session.agent_id,
        "visitor_id": session.visitor_id,
        "state": str(event.state),
        "seq": event.seq,
        "created_at": _time(event.created_at),
    }
    if reason is not None:
        data["reason"] = reason
    return type_, data


def run_failed_payload(run: TestRun) -> dict[str, Any]:
    """A test run with questions that passed in the previous run and fail now."""
    return {
        "run_id": run.id,
        "agent_id": run.agent_id,
        "trigger": str(run.trigger),
        "passed": run.count(Outcome.PASSED),
        "failed": run.count(Outcome.FAILED),
        "newly_failing": [{"question_id": r.question_id, "question": r.question} for r in run.newly_failing()],
        "finished_at": run.finished_at.isoformat(),
    }
