"""Helpers for the chat HTTP tests: an app whose chat model and retrieval are in-memory fakes,
an owner with an agent, and an SSE reader."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dependency_injector import providers

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.domain.model.chat import ChatLimits, Passage
from tests.integration.accounts_support import App, Owner, serve, sign_up_and_verify
from tests.unit.chat_support import ListSearch

ORIGIN = "https://shop.example.com"
VISITOR = "visitor-0123456789abcdef"
RETURNS = Passage(
    document_id="doc_returns",
    document_title="Returns policy",
    position=3,
    text="You can return any item within 30 days for a full refund.",
)


@dataclass
class ChatApp:
    app: App
    owner: Owner
    agent: dict[str, Any]
    model: ScriptedChatModel
    search: ListSearch

    @property
    def client(self):
        return self.app.client

    @property
    def key(self) -> str:
        return self.agent["public_key"]

    def widget(self, path: str = "") -> str:
        return f"/api/v1/widget/{self.key}{path}"

    def headers(self, visitor: str = VISITOR, **more: str) -> dict[str, str]:
        return {"origin": ORIGIN, "x-visitor-id": visitor} | more

    async def new_session(self, visitor: str = VISITOR) -> str:
        response = await self.client.post(self.widget("/sessions"), headers=self.headers(visitor))
        assert response.status_code == 201, response.text
        return response.json()["id"]


@asynccontextmanager
async def chat_app(
    tmp_path: Path,
    conninfo: str | None,
    *,
    limits: ChatLimits | None = None,
    backend: str = "postgres",
    server: dict[str, Any] | None = None,
    **agent: Any,
) -> AsyncIterator[ChatApp]:
    """A served app with a signed-up owner and an agent (``agent``: its settings); ``server``:
    settings of the server itself."""
    model = ScriptedChatModel(reply=lambda request: "Within 30 days [1].")
    search = ListSearch([RETURNS])

    def configure(container) -> None:
        container.chat_model.override(providers.Object(model))
        container.passage_search.override(providers.Object(search))
        if limits is not None:
            container.chat_limits.override(providers.Object(limits))

    async with serve(backend, tmp_path / "aioomi", conninfo, configure=configure, **(server or {})) as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        body = {
            "name": "Shop helper",
            "allowed_origins": [ORIGIN],
            "greeting": "Hi! Ask me anything.",
            "starter_questions": ["How do returns work?"],
        } | agent
        response = await app.client.post("/api/v1/agents", json=body, headers=owner.headers())
        assert response.status_code == 201, response.text
        yield ChatApp(app=app, owner=owner, agent=response.json(), model=model, search=search)


def read_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The events of an SSE body, in order: (event name, decoded JSON data)."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events
