"""What the documents use cases share."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.documents import (
    DOCUMENT_ID_PREFIX,
    Document,
    DocumentLimits,
    DocumentNotFound,
    DocumentSource,
    DocumentUpload,
)
from aioomi.domain.model.ids import is_id
from aioomi.ports.unit_of_work import UnitOfWork
from aioomi.ports.url_fetcher import UrlFetcher


async def find_own_document(
    uow: UnitOfWork, principal: Principal, agent: Agent, document_id: str, *, for_update: bool = False
) -> Document:
    """The agent's document, or :class:`DocumentNotFound` (also for another agent's or account's)."""
    document = None
    if is_id(document_id, DOCUMENT_ID_PREFIX):
        document = await uow.documents.get(principal.workspace_id, document_id, for_update=for_update)
    if document is None or document.agent_id != agent.id:
        raise DocumentNotFound("No such document.")
    return document


async def _fetched(fetcher: UrlFetcher, url: str, title: str | None, limits: DocumentLimits) -> DocumentUpload:
    resource = await fetcher.fetch(url, max_bytes=limits.max_file_bytes)
    return DocumentUpload(
        data=resource.data,
        title=title,
        filename=resource.filename,
        content_type=resource.content_type,
        source=DocumentSource.URL,
        source_url=url,
    )
