"""What the knowledge use cases share."""

from __future__ import annotations

from aioomi.domain.model.documents import (
    Document,
)


def agent_blob_prefix(account_id: str, agent_id: str) -> str:
    return f"{account_id}/{agent_id}/"


def document_blob_prefix(account_id: str, agent_id: str, document_id: str) -> str:
    return f"{account_id}/{agent_id}/{document_id}/"


def blob_key(document: Document, content_hash: str) -> str:
    return f"{document_blob_prefix(document.account_id, document.agent_id, document.id)}v{document.version}-{content_hash[:16]}"
