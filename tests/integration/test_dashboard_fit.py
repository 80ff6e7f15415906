"""Dashboard and API rough edges: uploads sniffed on arrival (415 naming what is read), failed
documents not counted against limits, sign-up naming every bad field in words, counts with the
right plural, short axis labels, /favicon.ico."""

from __future__ import annotations

import io
import zipfile

import msgspec
import pytest

from aioomi.domain.model.documents import DocumentStatus
from aioomi.entrypoints.http.pages import _plural
from aioomi.entrypoints.http.pages_charts import _short
from tests.integration.accounts_support import problem
from tests.integration.chat_support import chat_app


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


async def test_unreadable_uploads_are_415_at_once_naming_the_types_read(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        url = f"/api/v1/agents/{chat.agent['id']}/documents"
        for name, data in [
            ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
            ("tool.exe", b"MZ\x90\x00" + b"\x00" * 64),
            ("fake.docx", _zip(["hello.txt"])),
        ]:
            refused = await chat.client.post(url, headers=chat.owner.headers(), files={"file": (name, data)})
            body = problem(refused, 415, "document_type_unsupported")
            assert "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), EPUB or CSV" in body["detail"], body
        assert await chat.app.count("documents") == 0
        fine = await chat.client.post(url, headers=chat.owner.headers(), files={"file": ("a.md", b"# Hi\n\nText.\n")})
        assert fine.status_code == 202, fine.text


async def test_failed_documents_do_not_count_against_the_limits(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        from aioomi.domain.model.accounts import Principal

        me = Principal.own(account_id=chat.owner.account_id)
        added = await chat.client.post(
            f"/api/v1/agents/{chat.agent['id']}/documents",
            headers=chat.owner.headers(),
            json={"title": "T", "text": "Some text."},
        )
        doc_id = added.json()["id"]
        container = chat.app.container
        async with container.uow()(account_id=me.account_id) as uow:
            document = await uow.documents.get(me.account_id, doc_id)
            await uow.documents.update(msgspec.structs.replace(document, status=DocumentStatus.FAILED))
            await uow.commit()
            totals = await uow.documents.account_totals(me.account_id)
            per_agent = await uow.documents.totals(me.account_id, chat.agent["id"])
        assert (totals.documents, per_agent.documents) == (0, 0)


async def test_sign_up_names_every_bad_field_in_words(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        body = problem(
            await chat.client.post(
                "/api/v1/auth/signup",
                json={"email": "", "full_name": "", "password": "short", "adult": True, "accepted_policy_version": "1"},
            ),
            422,
        )
        assert [(e["field"], e["message"]) for e in body["errors"]] == [
            ("email", "Use at least 3 characters."),
            ("full_name", "This is required."),
            ("password", "Use at least 8 characters."),
        ]


async def test_favicon_is_served(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        icon = await chat.client.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.content.startswith(b"<svg")


def test_counts_read_in_words_and_axis_labels_stay_short():
    assert [_plural(n, "agent") for n in (0, 1, 2, 1204)] == ["0 agents", "1 agent", "2 agents", "1,204 agents"]
    assert [_short(v) for v in (32_309, 1_500, 250_000, 1_500_000, 12)] == ["32.3k", "1.5k", "250k", "1.5M", "12"]


@pytest.mark.parametrize("backend", ["memory", "postgres"])
async def test_the_request_log_is_read_with_filters_and_pages_and_on_its_page(tmp_path, backend, pg_conninfo):
    from tests.integration.chat_support import ORIGIN

    async with chat_app(tmp_path, pg_conninfo if backend == "postgres" else None, backend=backend) as chat:
        owner = chat.owner.headers()
        await chat.client.get(chat.widget("/config"), headers={"origin": ORIGIN})
        await chat.client.get("/api/v1/agents/agt_00000000000000000000000000", headers=owner)  # 404
        await chat.client.get(f"/api/v1/agents/{chat.agent['id']}", headers=owner)
        await chat.app.client.app.state.request_log_writer.flush()

        everything = (await chat.client.get("/api/v1/request-log", headers=owner)).json()
        routes = [(e["method"], e["route"], e["status"]) for e in everything["data"]]
        assert ("GET", "/api/v1/widget/{public_key}/config", 200) in routes
        assert ("GET", "/api/v1/agents/{agent_id}", 404) in routes
        assert all(e["route"].count("pk_") == 0 for e in everything["data"])  # templates, never keys

        missing = (await chat.client.get("/api/v1/request-log", headers=owner, params={"status": "4xx"})).json()
        assert [(e["route"], e["status"]) for e in missing["data"]] == [("/api/v1/agents/{agent_id}", 404)]
        widget = (
            await chat.client.get(
                "/api/v1/request-log", headers=owner, params={"agent_id": chat.agent["id"], "method": "get"}
            )
        ).json()
        assert {e["route"] for e in widget["data"]} >= {"/api/v1/widget/{public_key}/config"}
        page = (await chat.client.get("/api/v1/request-log", headers=owner, params={"limit": 1})).json()
        assert len(page["data"]) == 1 and page["next_cursor"]
        older = (
            await chat.client.get(
                "/api/v1/request-log", headers=owner, params={"limit": 1, "cursor": page["next_cursor"]}
            )
        ).json()
        assert older["data"][0]["occurred_at"] < page["data"][0]["occurred_at"]
        problem(
            await chat.client.get("/api/v1/request-log", headers=owner, params={"status": "6xx"}), 422, "invalid_status"
        )
        html = (await chat.client.get("/dashboard/request-log", params={"status": "4xx"})).text
        assert "<h1>Request log</h1>" in html and "/api/v1/agents/{agent_id}" in html


@pytest.mark.parametrize("backend", ["memory", "postgres"])
async def test_the_conversation_list_shows_the_first_question_and_the_message_count(tmp_path, backend, pg_conninfo):
    async with chat_app(tmp_path, pg_conninfo if backend == "postgres" else None, backend=backend) as chat:
        session_id = await chat.new_session()
        for question in ("How do returns work?", "And refunds?"):
            sent = await chat.client.post(
                chat.widget(f"/sessions/{session_id}/messages"),
                headers=chat.headers(),
                json={"content": question},
                params={"stream": "false"},
            )
            assert sent.status_code == 200, sent.text
        empty = await chat.new_session()
        listed = (
            await chat.client.get(f"/api/v1/agents/{chat.agent['id']}/sessions", headers=chat.owner.headers())
        ).json()["data"]
        by_id = {s["id"]: (s["first_question"], s["message_count"]) for s in listed}
        assert by_id == {session_id: ("How do returns work?", 4), empty: (None, 0)}
        page = (await chat.client.get("/dashboard/conversations")).text
        assert '<th scope="col">First question</th>' in page and "How do returns work?" in page
