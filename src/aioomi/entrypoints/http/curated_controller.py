"""Curated answers over HTTP (``/api/v1``): an agent's settings, and fixing an answer."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from aioomi.domain.model.accounts import Principal
from aioomi.domain.usecases.curated.fix_answer import FixAnswer
from aioomi.domain.usecases.curated.get_curated_settings import GetCuratedSettings
from aioomi.domain.usecases.curated.set_curated_settings import SetCuratedSettings
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_curated import AnswerFix, CuratedSettingsIn, CuratedSettingsOut
from aioomi.entrypoints.http.schemas_qa import QaPairOut
from aioomi.entrypoints.http.widget_controller import remember


class CuratedAnswerController(Controller):
    path = "/api/v1/agents/{agent_id:str}"
    tags = ["sources"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/curated-answers",
        summary="How the agent uses its curated answers (Q&A pairs)",
        responses=problems(401, 403, 404),
    )
    async def get_settings(
        self,
        get_curated_settings: NamedDependency[GetCuratedSettings],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> CuratedSettingsOut:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        return CuratedSettingsOut.of(await get_curated_settings(principal, agent_id))

    @put(
        "/curated-answers",
        summary="Serve matching Q&A pairs directly (`direct`) or as the top passage "
        "(`passage`), from a relevance `threshold`",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def set_settings(
        self,
        set_curated_settings: NamedDependency[SetCuratedSettings],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[CuratedSettingsIn],
    ) -> CuratedSettingsOut:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        settings = await set_curated_settings(principal, agent_id, mode=data.mode, threshold=data.threshold)
        return CuratedSettingsOut.of(settings)

    @post(
        "/qa-pairs/from-answer",
        status_code=201,
        summary="Fix an answer: the question it replied to and the owner's answer become a Q&A pair",
        responses=problems(400, 401, 403, 404, 409, 413, 422),
    )
    async def fix_answer(
        self,
        fix_answer: NamedDependency[FixAnswer],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[AnswerFix],
    ) -> Response[QaPairOut]:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        pair = await fix_answer(principal, agent_id, data.message_id, data.answer, data.alternatives)
        return Response(
            QaPairOut.of(pair), status_code=201, headers={"Location": f"/api/v1/agents/{agent_id}/qa-pairs/{pair.id}"}
        )
