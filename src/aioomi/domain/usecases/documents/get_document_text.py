"""GetDocumentText: The text extracted from a ready document (``document_not_ready`` before)."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    Document,
    DocumentStatus,
)
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.documents.support import find_own_document
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DocumentNotReady(Conflict):
    code = "document_not_ready"
    title = "The document is not ready"


class GetDocumentText:
    """The text extracted from a ready document (``document_not_ready`` before)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, document_id: str) -> tuple[Document, str]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            document = await find_own_document(uow, principal, agent, document_id)
            text = await uow.documents.get_text(principal.workspace_id, document.id)
        if text is None or document.status == DocumentStatus.FAILED:
            raise DocumentNotReady(f"The document is {document.status}; its text is available once it is ready.")
        return document, text
