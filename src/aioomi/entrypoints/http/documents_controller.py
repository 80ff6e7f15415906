"""An agent's knowledge base over HTTP: documents (upload a file, a text or a URL; list, read,
replace, delete), the extracted text, the "test retrieval" search, and the embedding model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, JSONBody, Parameter

from aioomi.adapters.local.file_types import detect_kind
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentLimits, DocumentSource, DocumentTooLarge, DocumentUpload
from aioomi.domain.model.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE
from aioomi.domain.usecases.documents.delete_document import DeleteDocument
from aioomi.domain.usecases.documents.get_document import GetDocument
from aioomi.domain.usecases.documents.get_document_text import GetDocumentText
from aioomi.domain.usecases.documents.list_documents import ListDocuments
from aioomi.domain.usecases.documents.rename_document import RenameDocument
from aioomi.domain.usecases.knowledge.change_embedding_model import ChangeEmbeddingModel
from aioomi.domain.usecases.knowledge.get_knowledge_base import GetKnowledgeBase
from aioomi.domain.usecases.knowledge.search_agent_knowledge import SearchAgentKnowledge
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_documents import (
    MAX_TITLE,
    MAX_URL,
    DocumentList,
    DocumentOut,
    DocumentPatchIn,
    DocumentTextIn,
    DocumentTextOut,
    DocumentUrlIn,
    EmbeddingModelIn,
    KnowledgeBaseOut,
    SearchHitOut,
    SearchIn,
    SearchOut,
)

# Litestar's ceiling on a request body until the app sets it, per app, from the configured
# per-file limit (opt ``body_limit``, see ``app._limit_upload_bodies``): a body, chunked or not,
# is read no further than that. The per-file limit is also checked from Content-Length before
# the body is read, and again on what arrived.
BODY_CEILING = (1 << 30) + (1 << 20)
UPLOAD_PROBLEMS = (400, 401, 402, 403, 404, 409, 413, 415, 422)  # 415: not multipart/JSON, or a file type not read

Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE, description="Documents per page (1 to 100)")]
Cursor = Annotated[
    str | None, Parameter(max_length=MAX_CURSOR_LENGTH, description="The `next_cursor` of the previous page")
]

UPLOAD_DESCRIPTION = (
    "Send either `multipart/form-data` with a `file` part (.txt, .md, .html, .pdf, .docx, .xlsx, .pptx, .epub or "
    '.csv; the type is detected from the content) and an optional `title` part, or JSON `{"title", "text"}`, or JSON '
    '`{"url", "title"?}` (one public page or file, fetched now within the size and time limits). '
    "`Idempotency-Key` makes a retried upload answer with the first result. 202: a new document, queued for "
    "ingestion; 200: the same content was already there (or the key was seen): the existing document."
)


def _upload_body() -> RequestBody:
    title = Schema(type=OpenAPIType.STRING, max_length=MAX_TITLE, description="Shown in citations")
    text = Schema(
        type=OpenAPIType.OBJECT,
        title="Text document",
        required=["text"],
        additional_properties=False,
        properties={"text": Schema(type=OpenAPIType.STRING, min_length=1), "title": title},
    )
    url = Schema(
        type=OpenAPIType.OBJECT,
        title="Document from a URL",
        required=["url"],
        additional_properties=False,
        properties={
            "url": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.URI, max_length=MAX_URL),
            "title": title,
        },
    )
    form = Schema(
        type=OpenAPIType.OBJECT,
        title="File upload",
        required=["file"],
        properties={
            "file": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.BINARY,
                description=".txt, .md, .html, .pdf, .docx, .xlsx, .pptx, .epub or .csv (the type is detected from the content)",
            ),
            "title": title,
        },
    )
    return RequestBody(
        required=True,
        description="A file (multipart), a text or a URL (JSON)",
        content={
            "multipart/form-data": OpenAPIMediaType(schema=form),
            "application/json": OpenAPIMediaType(schema=Schema(one_of=[text, url])),
        },
    )


@dataclass
class UploadOperation(Operation):
    """The upload's operation: its body is read by hand (multipart or JSON), so it is described
    here for the schema and the clients generated from it."""

    def __post_init__(self) -> None:
        self.request_body = _upload_body()


def _invalid(field: str, message: str) -> ValidationException:
    return ValidationException(detail="Validation failed", extra=[{"key": field, "message": message, "source": "body"}])


async def _source(
    request: Request[Any, Any, Any], limits: DocumentLimits
) -> tuple[DocumentUpload | None, str | None, str | None]:
    """The upload (or the URL and title) a request carries, validated at the edge."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_file_bytes + 64 * 1024:
        raise DocumentTooLarge(
            f"The request has {int(declared):,} bytes; the limit per file is {limits.max_file_bytes:,}."
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form()
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise _invalid("file", "Send the document in a multipart part named `file`.")
        title = form.get("title")
        if title is not None and not isinstance(title, str):
            raise _invalid("title", "The title is text.")
        data = await file.read()
        # Sniffed now, so a file that cannot be read is refused at once (415, naming the types
        # accepted) instead of being accepted and failing in the worker.
        detect_kind(data, file.filename or "", file.content_type)
        return (
            DocumentUpload(
                data=data,
                title=title,
                filename=(file.filename or "")[:255] or None,
                content_type=(file.content_type or None),
                source=DocumentSource.UPLOAD,
            ),
            None,
            None,
        )
    if media in ("application/json", ""):
        raw = await request.body()
        try:
            body = msgspec.json.decode(raw) if raw else None
        except msgspec.DecodeError:
            raise HTTPException(status_code=400, detail="The body is not valid JSON.") from None
        if not isinstance(body, dict) or not ({"text", "url"} & body.keys()):
            raise _invalid("text", "Send JSON with `text` (and `title`), or with `url`; or a multipart `file`.")
        try:
            if "url" in body:
                source = msgspec.convert(body, DocumentUrlIn)
                return None, source.url, source.title
            given = msgspec.convert(body, DocumentTextIn)
        except msgspec.ValidationError as error:
            raise ValidationException(
                detail="Validation failed", extra=[{"message": str(error), "source": "body"}]
            ) from None
        return (
            DocumentUpload(
                data=given.text.encode("utf-8"),
                title=given.title,
                filename="text.md",
                content_type="text/markdown",
                source=DocumentSource.TEXT,
            ),
            None,
            None,
        )
    raise HTTPException(
        status_code=415, detail="Send multipart/form-data (a file) or application/json (a text or a URL)."
    )


class DocumentController(Controller):
    path = "/api/v1/agents/{agent_id:str}/documents"
    tags = ["documents"]
    dependencies = {"principal": Provide(provide_principal)}

    @post(
        "/",
        status_code=202,
        summary="Add a document (file, text or URL) to the agent's knowledge base",
        description=UPLOAD_DESCRIPTION,
        responses=problems(*UPLOAD_PROBLEMS),
        request_max_body_size=BODY_CEILING,
        opt={"body_limit": "document"},
        operation_class=UploadOperation,
    )
    async def add_document(
        self,
        request: Request[Any, Any, Any],
        state: State,
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> Response[DocumentOut]:
        # The upload handlers take no use case as a dependency (UPLOAD_HANDLERS): with two or more
        # dependencies Litestar resolves them in a task group, and a chunked upload whose client
        # half-closes right after the body then reaches the handler already "disconnected".
        container = state.container
        await container.get_agent()(principal, agent_id)  # 404 before reading a large body
        upload, url, title = await _source(request, container.document_limits())
        document, created = await container.add_document()(
            principal,
            agent_id,
            upload,
            url=url,
            title=title,
            idempotency_key=request.headers.get("idempotency-key"),
        )
        return Response(
            DocumentOut.of(document),
            status_code=202 if created else 200,
            headers={"Location": f"/api/v1/agents/{agent_id}/documents/{document.id}"},
        )

    @get("/", summary="The agent's documents, newest first, a page at a time", responses=problems(401, 403, 404))
    async def list_documents(
        self,
        list_documents: NamedDependency[ListDocuments],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> DocumentList:
        page = await list_documents(principal, agent_id, limit=limit, cursor=cursor)
        return DocumentList(data=[DocumentOut.of(d) for d in page.items], next_cursor=page.next_cursor)

    @get(
        "/{document_id:str}",
        summary="One document with its status, progress and error",
        responses=problems(401, 403, 404),
    )
    async def get_document(
        self,
        get_document: NamedDependency[GetDocument],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        document_id: FromPath[str],
    ) -> DocumentOut:
        return DocumentOut.of(await get_document(principal, agent_id, document_id))

    @get(
        "/{document_id:str}/text",
        summary="The text extracted from a ready document",
        responses=problems(401, 403, 404, 409),
    )
    async def get_text(
        self,
        get_document_text: NamedDependency[GetDocumentText],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        document_id: FromPath[str],
    ) -> DocumentTextOut:
        document, text = await get_document_text(principal, agent_id, document_id)
        return DocumentTextOut(id=document.id, title=document.title, text=text)

    @put(
        "/{document_id:str}",
        status_code=202,
        summary="Replace a document's content; only changed chunks are re-embedded",
        description=UPLOAD_DESCRIPTION,
        responses=problems(*UPLOAD_PROBLEMS),
        request_max_body_size=BODY_CEILING,
        opt={"body_limit": "document"},
        operation_class=UploadOperation,
    )
    async def replace_document(
        self,
        request: Request[Any, Any, Any],
        state: State,
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        document_id: FromPath[str],
    ) -> Response[DocumentOut]:
        container = state.container  # no use case as a dependency: see add_document
        await container.get_document()(principal, agent_id, document_id)
        upload, url, title = await _source(request, container.document_limits())
        document, changed = await container.replace_document()(
            principal, agent_id, document_id, upload, url=url, title=title
        )
        return Response(DocumentOut.of(document), status_code=202 if changed else 200)

    @patch(
        "/{document_id:str}",
        summary="Rename a document (its title is searched with every chunk)",
        responses=problems(401, 403, 404, 422),
    )
    async def rename_document(
        self,
        rename_document: NamedDependency[RenameDocument],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        document_id: FromPath[str],
        data: JSONBody[DocumentPatchIn],
    ) -> DocumentOut:
        return DocumentOut.of(await rename_document(principal, agent_id, document_id, data.title))

    @delete(
        "/{document_id:str}",
        status_code=204,
        summary="Delete a document with its text, chunks, embeddings and file",
        responses=problems(401, 403, 404),
    )
    async def delete_document(
        self,
        delete_document: NamedDependency[DeleteDocument],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        document_id: FromPath[str],
    ) -> None:
        await delete_document(principal, agent_id, document_id)


class KnowledgeController(Controller):
    path = "/api/v1/agents/{agent_id:str}"
    tags = ["knowledge"]
    dependencies = {"principal": Provide(provide_principal)}

    @post(
        "/search",
        status_code=200,
        summary="Test retrieval: the chunks a question would bring into the prompt",
        responses=problems(401, 403, 404),
    )
    async def search(
        self,
        search_agent_knowledge: NamedDependency[SearchAgentKnowledge],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[SearchIn],
    ) -> SearchOut:
        hits = await search_agent_knowledge(
            principal, agent_id, data.query, top_k=data.top_k, min_relevance=data.min_relevance
        )
        return SearchOut(data=[SearchHitOut.of(h) for h in hits])

    @get(
        "/knowledge",
        summary="The knowledge base: its embedding model, size and limits",
        responses=problems(401, 403, 404),
    )
    async def get_knowledge(
        self,
        get_knowledge_base: NamedDependency[GetKnowledgeBase],
        state: State,
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> KnowledgeBaseOut:
        base, totals = await get_knowledge_base(principal, agent_id)
        return KnowledgeBaseOut.of(base, totals, state.container.document_limits())

    @put(
        "/knowledge/embedding-model",
        status_code=202,
        summary="Re-embed the knowledge base with another model in the background; searches switch when it is done",
        responses=problems(401, 403, 404),
    )
    async def change_embedding_model(
        self,
        change_embedding_model: NamedDependency[ChangeEmbeddingModel],
        get_knowledge_base: NamedDependency[GetKnowledgeBase],
        state: State,
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[EmbeddingModelIn],
    ) -> KnowledgeBaseOut:
        await change_embedding_model(principal, agent_id, data.model)
        base, totals = await get_knowledge_base(principal, agent_id)
        return KnowledgeBaseOut.of(base, totals, state.container.document_limits())
