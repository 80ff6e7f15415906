"""Question-and-answer pairs over HTTP: list, add, edit, delete, and CSV import and export."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.qa_pairs import MAX_IMPORT_BYTES, InvalidQaImport, QaPairNotFound
from aioomi.domain.usecases.add_qa_pair import AddQaPair
from aioomi.domain.usecases.delete_qa_pair import DeleteQaPair
from aioomi.domain.usecases.export_qa_pairs import ExportQaPairs
from aioomi.domain.usecases.import_qa_pairs import ImportQaPairs
from aioomi.domain.usecases.list_qa_pairs import ListQaPairs
from aioomi.domain.usecases.update_qa_pair import UpdateQaPair
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_qa import QaImportOut, QaPairIn, QaPairList, QaPairOut

IMPORT_DESCRIPTION = (
    "The CSV file as a multipart part named `file`: a header row naming `question`, "
    "`answer` and optionally `alternatives` (one phrasing per line of the cell), then one pair per row; UTF-8, "
    f"at most {MAX_IMPORT_BYTES:,} bytes and 1,000 pairs. A row whose question exists updates that pair. The first "
    "bad row is refused (`invalid_qa_import`, with its line number) and then nothing is written."
)


class QaPairController(Controller):
    path = "/api/v1/agents/{agent_id:str}/qa-pairs"
    tags = ["sources"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", summary="The agent's question-and-answer pairs, oldest first", responses=problems(401, 403, 404))
    async def list_pairs(
        self,
        list_qa_pairs: NamedDependency[ListQaPairs],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> QaPairList:
        pairs = await list_qa_pairs(principal, agent_id)
        return QaPairList(data=[QaPairOut.of(p) for p in pairs])

    @post(
        "/",
        status_code=201,
        summary="Add a question-and-answer pair; its document is queued for ingestion",
        responses=problems(400, 401, 402, 403, 404, 409, 413, 422),
    )
    async def add_pair(
        self,
        add_qa_pair: NamedDependency[AddQaPair],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[QaPairIn],
    ) -> Response[QaPairOut]:
        pair = await add_qa_pair(principal, agent_id, data.domain())
        return Response(
            QaPairOut.of(pair), status_code=201, headers={"Location": f"/api/v1/agents/{agent_id}/qa-pairs/{pair.id}"}
        )

    @get("/export", summary="The pairs as a CSV file", media_type="text/csv", responses=problems(401, 403, 404))
    async def export_pairs(
        self,
        export_qa_pairs: NamedDependency[ExportQaPairs],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> Response[str]:
        text = await export_qa_pairs(principal, agent_id)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="qa-pairs.csv"'},
        )

    @post(
        "/import",
        status_code=200,
        summary="Add and update pairs from a CSV file, all or nothing",
        description=IMPORT_DESCRIPTION,
        request_max_body_size=MAX_IMPORT_BYTES + 64 * 1024,
        responses=problems(400, 401, 402, 403, 404, 413, 422),
    )
    async def import_pairs(
        self,
        import_qa_pairs: NamedDependency[ImportQaPairs],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        request: Request,
    ) -> QaImportOut:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        file = (await request.form()).get("file") if media == "multipart/form-data" else None
        if not isinstance(file, UploadFile):
            raise InvalidQaImport("Send the CSV file in a multipart part named `file`.")
        data = await file.read()
        result = await import_qa_pairs(principal, agent_id, data)
        return QaImportOut(created=result.created, updated=result.updated, unchanged=result.unchanged)

    @get("/{pair_id:str}", summary="One pair", responses=problems(401, 403, 404))
    async def get_pair(
        self,
        list_qa_pairs: NamedDependency[ListQaPairs],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        pair_id: FromPath[str],
    ) -> QaPairOut:
        pairs = await list_qa_pairs(principal, agent_id)
        found = next((p for p in pairs if p.id == pair_id), None)
        if found is None:
            raise QaPairNotFound("No such question-and-answer pair.")
        return QaPairOut.of(found)

    @put(
        "/{pair_id:str}",
        summary="Replace a pair's question, answer and alternatives; it is ingested again",
        responses=problems(400, 401, 402, 403, 404, 409, 413, 422),
    )
    async def update_pair(
        self,
        update_qa_pair: NamedDependency[UpdateQaPair],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        pair_id: FromPath[str],
        data: JSONBody[QaPairIn],
    ) -> QaPairOut:
        return QaPairOut.of(await update_qa_pair(principal, agent_id, pair_id, data.domain()))

    @delete(
        "/{pair_id:str}",
        status_code=204,
        summary="Delete a pair with its document, chunks and file",
        responses=problems(401, 403, 404),
    )
    async def delete_pair(
        self,
        delete_qa_pair: NamedDependency[DeleteQaPair],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        pair_id: FromPath[str],
    ) -> None:
        await delete_qa_pair(principal, agent_id, pair_id)
