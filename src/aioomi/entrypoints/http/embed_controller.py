"""The snippet an owner pastes into their site to put an agent's widget on it."""

from __future__ import annotations

import html
from datetime import datetime

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent, RefusedOrigin
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.refused_origins import ListRefusedOrigins
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems


class EmbedOut(msgspec.Struct, frozen=True, kw_only=True):
    snippet: str
    """The one tag to paste before ``</body>``."""
    script_url: str
    public_key: str
    options: dict[str, str]
    """Optional ``data-*`` attributes the tag takes, and what each does."""
    allowed_origins: list[str]
    warnings: list[str]
    """What would keep the widget from showing (no allowed origin yet, agent paused, pages it
    was refused on)."""
    refused_origins: list[RefusedOriginOut] = msgspec.field(default_factory=list)
    """Pages the widget was refused on lately (not allowed), newest first: allow them if yours."""


class RefusedOriginOut(msgspec.Struct, frozen=True, kw_only=True):
    origin: str
    last_seen_at: datetime
    hits: int


OPTIONS = {
    "data-position": "left or right: which corner the launcher sits in (default: the agent's setting)",
    "data-theme": "light, dark or auto (follows the visitor's system; default: the agent's setting)",
    "data-open": "true: the chat panel is open when the page loads",
    "data-locale": "auto (the page's <html lang>), en, fr, de, es or ar: the widget's own words "
    "(default: the agent's setting)",
    "data-z-index": "an integer: the widget's stacking order, when an element of the page covers it "
    "(default 2147483000)",
}


def embed_of(agent: Agent, base_url: str, refused: list[RefusedOrigin] | None = None) -> EmbedOut:
    script_url = f"{base_url}/widget.js"
    snippet = (
        f'<script src="{html.escape(script_url)}" data-agent-key="{html.escape(agent.public_key)}" async></script>'
    )
    warnings = []
    if not agent.allowed_origins:
        warnings.append(
            "No allowed origins yet: add your site's origin (such as https://shop.example.com) "
            "to the agent's allowed_origins, or the widget will not load there."
        )
    if agent.status != "active":
        warnings.append("The agent is paused: the widget shows nothing on your site until you set it active.")
    for seen in refused or []:
        warnings.append(
            f"The widget was refused on {seen.origin} (last on {seen.last_seen_at:%Y-%m-%d}): "
            "allow that origin if the page is yours."
        )
    return EmbedOut(
        snippet=snippet,
        script_url=script_url,
        public_key=agent.public_key,
        options=OPTIONS,
        allowed_origins=list(agent.allowed_origins),
        warnings=warnings,
        refused_origins=[
            RefusedOriginOut(origin=r.origin, last_seen_at=r.last_seen_at, hits=r.hits) for r in refused or []
        ],
    )


class EmbedController(Controller):
    path = "/api/v1/agents"
    tags = ["agents"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/{agent_id:str}/embed",
        summary="The <script> snippet that puts the agent's widget on a site",
        responses=problems(401, 403, 404),
    )
    async def embed(
        self,
        get_agent: NamedDependency[GetAgent],
        list_refused_origins: NamedDependency[ListRefusedOrigins],
        state: State,
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> EmbedOut:
        agent = await get_agent(principal, agent_id)
        refused = await list_refused_origins(principal, agent_id)
        return embed_of(agent, state.container.settings().base_url, refused)
