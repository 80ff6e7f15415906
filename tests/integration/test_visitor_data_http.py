"""The visitor-data routes over HTTP: the owner's tools for one visitor across their agents
(find, export, delete) and the visitor's own sessions (list, read, export, delete), each route
served by a use case of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.accounts_support import problem
from tests.integration.chat_support import VISITOR, ChatApp, chat_app

OTHER = "visitor-fedcba9876543210"


@pytest.fixture
async def chat(tmp_path: Path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        yield chat


async def test_the_owner_finds_exports_and_deletes_one_visitors_conversations(chat: ChatApp) -> None:
    owner = chat.owner.headers()
    mine = await chat.new_session(VISITOR)
    theirs = await chat.new_session(OTHER)

    found = await chat.client.get(f"/api/v1/visitors/{VISITOR}/conversations", headers=owner)
    assert found.status_code == 200, found.text
    assert [(s["id"], s["visitor_id"]) for s in found.json()["data"]] == [(mine, VISITOR)]

    exported = await chat.client.get(f"/api/v1/visitors/{VISITOR}/export", headers=owner)
    assert exported.status_code == 200, exported.text
    assert exported.json()["visitor_id"] == VISITOR
    assert len(exported.json()["sessions"]) == 1
    assert mine in exported.text and theirs not in exported.text

    deleted = await chat.client.delete(f"/api/v1/visitors/{VISITOR}/conversations", headers=owner)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"deleted": 1}
    assert (await chat.client.get(f"/api/v1/visitors/{VISITOR}/conversations", headers=owner)).json()["data"] == []
    left = (await chat.client.get(f"/api/v1/visitors/{OTHER}/conversations", headers=owner)).json()["data"]
    assert [s["id"] for s in left] == [theirs]

    for method, path in (("GET", "conversations"), ("GET", "export"), ("DELETE", "conversations")):
        refused = await chat.client.request(method, f"/api/v1/visitors/short/{path}", headers=owner)
        problem(refused, 422, "invalid_visitor_id")


async def test_the_visitor_lists_reads_exports_and_deletes_their_own_session(chat: ChatApp) -> None:
    mine = await chat.new_session(VISITOR)
    theirs = await chat.new_session(OTHER)

    listed = await chat.client.get(chat.widget("/sessions"), headers=chat.headers())
    assert [s["id"] for s in listed.json()["data"]] == [mine]
    read = await chat.client.get(chat.widget(f"/sessions/{mine}"), headers=chat.headers())
    assert read.status_code == 200, read.text
    assert read.json()["session"]["id"] == mine
    exported = await chat.client.get(chat.widget(f"/sessions/{mine}/export"), headers=chat.headers())
    assert exported.status_code == 200, exported.text
    assert f'filename="{mine}.json"' in exported.headers["content-disposition"]

    for method, path in (("GET", ""), ("GET", "/export"), ("DELETE", "")):
        other = await chat.client.request(method, chat.widget(f"/sessions/{theirs}{path}"), headers=chat.headers())
        assert other.status_code == 404, (method, path, other.text)

    assert (await chat.client.delete(chat.widget(f"/sessions/{mine}"), headers=chat.headers())).status_code == 204
    assert (await chat.client.get(chat.widget("/sessions"), headers=chat.headers())).json()["data"] == []
    gone = await chat.client.delete(chat.widget(f"/sessions/{mine}"), headers=chat.headers())
    assert gone.status_code == 404
    still = await chat.client.get(chat.widget("/sessions"), headers=chat.headers(OTHER))
    assert [s["id"] for s in still.json()["data"]] == [theirs]
