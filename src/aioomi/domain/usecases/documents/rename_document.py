"""RenameDocument: Change a document's title (``PATCH …/documents/{id}``)."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    REINDEX_DOCUMENT,
    Document,
    DocumentStatus,
    check_title,
)
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.documents.support import find_own_document
from aioomi.domain.usecases.source_support import refuse_qa_document
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


def reindex_job(document: Document) -> NewJob:
    """Rebuild the document's chunks (with its current title) in the background."""
    return NewJob(
        kind=REINDEX_DOCUMENT,
        payload={"account_id": document.account_id, "document_id": document.id, "version": document.version},
        max_attempts=10,
    )


class RenameDocument:
    """Change a document's title (``PATCH …/documents/{id}``).

    Rules:
    - the title is one line of 1–300 characters without control characters (``invalid_title``);
    - the title is searched with every chunk, so a ready document is re-indexed in the
      background (the job is enqueued in the same unit of work); its old chunks answer
      searches until the new ones replace them in one transaction. A document not ready yet
      gets the title when its ingestion finishes.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, document_id: str, title: str | None) -> Document:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        checked = check_title(title)
        if checked is None:
            raise InvalidInput("Give the document a title.", code="invalid_title", field="title")
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            current = await find_own_document(uow, principal, agent, document_id, for_update=True)
            await refuse_qa_document(uow, current)
            if current.title == checked:
                return current
            renamed = msgspec.structs.replace(current, title=checked, updated_at=self._clock.now())
            await uow.documents.update(renamed)
            if renamed.status is DocumentStatus.READY:
                await uow.jobs.enqueue(reindex_job(renamed))
            await uow.commit()
        return renamed
