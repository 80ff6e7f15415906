"""The teams migrations (issue 21) on a database populated through the previous version's API.

The previous version (the commit before the teams work, taken from this repository's history)
runs as a real server on a fresh database: an owner signs up and verifies the e-mail, creates an
agent, adds a document that the worker ingests, creates an API key, and a visitor chats through
the widget. That server stops; this version migrates the same database and serves it. Then,
through this version's API: the owner signs in with the same password and is the owner of one
workspace (their own), with the same agent and its ready document; the stored conversation
reads back whole and goes on; the old API key still reads the agent. Nothing is lost.

Skipped (with the reason) when the source tree is not a git checkout holding that commit.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.processes import AIOOMI, clean_env, database_url, free_port, processes, wait_for

if TYPE_CHECKING:
    from testkit.postgres import TestPostgres

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = "807715b3467c54da3e26b65f67228bcad40a9ce3"  # main before the teams merge: migrations up to 0039
ORIGIN = "https://shop.example"
EMAIL, PASSWORD = "ada@shop.example", "correct horse battery staple 42"
VISITOR = "visitor-0123456789abcdef"


def previous_source(into: Path) -> Path:
    """The previous version's ``src/`` extracted from git history, or skip."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the previous version's source is not available")
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS}^{{commit}}"], check=False).returncode:
        pytest.skip(f"commit {PREVIOUS[:7]} is not in this clone's history (a shallow clone?)")
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS, "src"], check=True, capture_output=True
    )
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into / "src"


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in codes, (response.request.method, str(response.request.url), response.text[:500])
    return response.json()


def widget_message(client: httpx.Client, public_key: str, session_id: str, text: str) -> dict[str, Any]:
    headers = {"Origin": ORIGIN, "X-Visitor-Id": VISITOR}
    path = f"/api/v1/widget/{public_key}/sessions/{session_id}/messages?stream=false"
    return ok(client.post(path, headers=headers, json={"content": text}), 200)["message"]


def populate_through_the_previous_api(client: httpx.Client, outbox: Path) -> dict[str, Any]:
    policy = ok(client.get("/api/v1/auth/policy"), 200)["version"]
    signup = {"email": EMAIL, "full_name": "Ada Lovelace", "password": PASSWORD, "adult": True}
    ok(client.post("/api/v1/auth/signup", json={**signup, "accepted_policy_version": policy}), 202)

    def verification_token() -> str | None:
        for mail in outbox.glob("*") if outbox.exists() else ():
            if found := re.search(r"token=([A-Za-z0-9_\-]+)", mail.read_text(errors="replace")):
                return found.group(1)
        return None

    token = wait_for(verification_token, timeout=60, interval=0.2, what="the verification e-mail in the outbox")
    csrf = {"X-CSRF-Token": ok(client.post("/api/v1/auth/verify-email", json={"token": token}), 200)["csrf_token"]}
    agent = ok(client.post("/api/v1/agents", headers=csrf, json={"name": "Shop", "allowed_origins": [ORIGIN]}), 201)
    text = "The shop opens at eight in the morning. Returns are accepted within 30 days with the receipt."
    document = ok(
        client.post(f"/api/v1/agents/{agent['id']}/documents", headers=csrf, json={"title": "Hours", "text": text}), 202
    )
    wait_for(
        lambda: ok(client.get(f"/api/v1/agents/{agent['id']}/documents/{document['id']}"), 200)["status"] == "ready",
        timeout=90,
        interval=0.3,
        what="the previous version's worker to ingest the document",
    )
    key = ok(client.post("/api/v1/api-keys", headers=csrf, json={"name": "ci", "scopes": ["agents:read"]}), 201)
    headers = {"Origin": ORIGIN, "X-Visitor-Id": VISITOR}
    session = ok(client.post(f"/api/v1/widget/{agent['public_key']}/sessions", headers=headers, json={}), 200, 201)
    answer = widget_message(client, agent["public_key"], session["id"], "When does the shop open?")
    assert "eight" in answer["content"]
    return {"agent": agent, "document": document["id"], "key": key["secret"], "session": session["id"]}


def test_a_database_populated_through_the_previous_versions_api_is_whole_after_the_upgrade(
    test_postgres: TestPostgres, tmp_path: Path
) -> None:
    old_src = previous_source(tmp_path / "previous")
    conninfo = asyncio.run(test_postgres.create_database(migrated=False))
    data_dir = tmp_path / "data"
    settings = {"DATABASE_URL": database_url(conninfo), "AIOOMI_DATA_DIR": str(data_dir), "AIOOMI_DEMO": "off"}
    previous_env = clean_env(PYTHONPATH=str(old_src), **settings)
    try:
        with processes(tmp_path / "logs") as spawn:
            assert spawn([*AIOOMI, "migrate"], env=previous_env, name="old-migrate").wait(timeout=120) == 0
            port = free_port()
            old = spawn([*AIOOMI, "serve", "--with-worker", "--port", str(port)], env=previous_env, name="old-serve")
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                wait_for(lambda: _ready(client), timeout=60, interval=0.2, what="the previous version to serve")
                assert ok(client.get("/readyz"), 200)["database"]["applied_migrations"] == 27  # up to 0039
                before = populate_through_the_previous_api(client, data_dir / "outbox")
            old.stop()

            new_env = clean_env(PYTHONPATH=str(ROOT / "src"), **settings)
            # this version's migrations, 0041 onwards, by its own command
            assert spawn([*AIOOMI, "migrate"], env=new_env, name="new-migrate").wait(timeout=300) == 0
            port = free_port()
            spawn([*AIOOMI, "serve", "--with-worker", "--port", str(port)], env=new_env, name="new-serve")
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                wait_for(lambda: _ready(client), timeout=60, interval=0.2, what="this version to serve")
                check_everything_is_there(client, before)
    finally:
        test_postgres.drop_database(conninfo)


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/readyz").status_code == 200
    except httpx.TransportError:
        return False


def check_everything_is_there(client: httpx.Client, before: dict[str, Any]) -> None:
    agent = before["agent"]
    signed_in = ok(client.post("/api/v1/auth/sign-in", json={"email": EMAIL, "password": PASSWORD}), 200)
    person = signed_in["account"]["id"]
    workspaces = ok(client.get("/api/v1/workspaces"), 200)["data"]
    # the account became a workspace with the same id, the person its owner
    assert [(w["id"], w["role"], w["current"]) for w in workspaces] == [(person, "owner", True)]
    members = ok(client.get("/api/v1/workspace/members"), 200)["data"]
    assert [(m["account_id"], m["email"], m["role"]) for m in members] == [(person, EMAIL, "owner")]
    assert [a["id"] for a in ok(client.get("/api/v1/agents"), 200)["data"]] == [agent["id"]]
    document = ok(client.get(f"/api/v1/agents/{agent['id']}/documents/{before['document']}"), 200)
    assert document["status"] == "ready"
    conversation = ok(client.get(f"/api/v1/chat-sessions/{before['session']}"), 200)
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant"]
    assert conversation["messages"][0]["content"] == "When does the shop open?"
    keyed = ok(client.get("/api/v1/agents", headers={"Authorization": f"Bearer {before['key']}"}), 200)["data"]
    assert [a["id"] for a in keyed] == [agent["id"]]
    # the stored conversation goes on in this version, answered from the ingested document
    answer = widget_message(client, agent["public_key"], before["session"], "Can I return an item within 30 days?")
    assert answer["citations"] and answer["citations"][0]["document_id"] == before["document"], json.dumps(answer)
    conversation = ok(client.get(f"/api/v1/chat-sessions/{before['session']}"), 200)
    assert len(conversation["messages"]) == 4
