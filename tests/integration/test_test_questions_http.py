"""Test questions over HTTP on Postgres: the owner writes questions with expectations, runs them
in the real worker through the visitor's answering path (a scripted chat model, so "mentions"
applies), and sees what changed when the knowledge changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from dependency_injector import providers
from testkit.builders import document_for, store_documents

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.usecases.test_questions.request_test_run import RequestTestRun
from tests.integration.accounts_support import problem, run_jobs
from tests.integration.chat_support import RETURNS, chat_app


async def test_the_owner_runs_test_questions_and_sees_what_changed(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo, answer_mode="grounded") as chat:
        client, owner = chat.client, chat.owner.headers()
        container = chat.app.container
        clock = ManualClock(datetime.now(UTC))
        container.request_test_run.override(providers.Factory(RequestTestRun, uow=container.uow, clock=clock))
        base = f"/api/v1/agents/{chat.agent['id']}"
        returns = document_for(chat.owner.account_id, chat.agent["id"])
        await store_documents(container, returns)
        chat.search.passages[:] = [msgspec.structs.replace(RETURNS, document_id=returns.id)]

        async def add(body: dict) -> dict:
            response = await client.post(f"{base}/test-questions", headers=owner, json=body)
            assert response.status_code == 201, response.text
            return response.json()

        mentions = await add({"question": "How do I return an item?", "kind": "mentions", "facts": ["30 DAYS"]})
        cites = await add({"question": "Can I return it?", "kind": "cites", "document_id": returns.id})
        falls_back = await add({"question": "Shipping abroad to Norway?", "kind": "falls_back"})
        problem(
            await client.post(f"{base}/test-questions", headers=owner, json={"question": "Hours?", "kind": "mentions"}),
            422,
            "invalid_test_expectation",
        )
        problem(
            await client.post(
                f"{base}/test-questions",
                headers=owner,
                json={"question": "Hours?", "kind": "cites", "document_id": "doc_returns"},
            ),
            422,
            "unknown_test_document",
        )
        listed = (await client.get(f"{base}/test-questions", headers=owner)).json()["data"]
        assert [q["id"] for q in listed] == [mentions["id"], cites["id"], falls_back["id"]]
        assert (await client.get(f"{base}/test-runs", headers=owner)).json()["data"] == []

        queued = await client.post(f"{base}/test-questions/run", headers=owner)
        assert (queued.status_code, queued.json()) == (202, {"status": "queued"})
        await run_jobs(chat.app)
        [first] = (await client.get(f"{base}/test-runs", headers=owner)).json()["data"]
        assert (first["passed"], first["failed"], first["not_applicable"], first["trigger"]) == (3, 0, 0, "manual")
        assert first["results"] is None, "the list leaves the results out"
        assert [m for m in chat.app.outbox() if m.kind == "test_questions_failing"] == []
        detail = (await client.get(f"{base}/test-runs/{first['id']}", headers=owner)).json()
        assert [(r["question_id"], r["outcome"], r["change"]) for r in detail["results"]] == [
            (mentions["id"], "passed", None),
            (cites["id"], "passed", None),
            (falls_back["id"], "passed", None),
        ]
        assert detail["results"][0]["excerpt"] == "Within 30 days [1]."
        assert detail["results"][1]["cited_document_ids"] == [returns.id]

        # The returns page leaves the knowledge: both returns questions fall back now.
        chat.search.passages.clear()
        clock.advance(timedelta(minutes=1))
        assert (await client.post(f"{base}/test-questions/run", headers=owner)).status_code == 202
        await run_jobs(chat.app)
        second, again = (await client.get(f"{base}/test-runs", headers=owner)).json()["data"]
        assert again["id"] == first["id"], "latest first"
        assert (second["passed"], second["failed"]) == (1, 2)
        assert second["newly_failing"] == [mentions["id"], cites["id"]]
        assert second["newly_passing"] == []
        assert len(chat.model.requests) == 2, "the fallbacks asked no model; nothing else did either"
        [mail] = [m for m in chat.app.outbox() if m.kind == "test_questions_failing"]
        assert (mail.to, mail.subject) == ("owner@example.com", "Shop helper: 2 test questions stopped passing")
        assert "How do I return an item?" in mail.text
        assert f"/api/v1/agents/{chat.agent['id']}/test-runs/{second['id']}" in mail.text

        # Not a visitor conversation: the agent's conversation list stays empty.
        sessions = (await client.get(f"{base}/sessions", headers=owner)).json()
        assert sessions["data"] == []

        updated = await client.put(
            f"{base}/test-questions/{mentions['id']}",
            headers=owner,
            json={"question": "Returns?", "kind": "falls_back"},
        )
        assert (updated.status_code, updated.json()["kind"]) == (200, "falls_back")
        assert (await client.delete(f"{base}/test-questions/{cites['id']}", headers=owner)).status_code == 204
        problem(
            await client.delete(f"{base}/test-questions/{cites['id']}", headers=owner), 404, "test_question_not_found"
        )
        problem(await client.get(f"{base}/test-runs/trun_nothing", headers=owner), 404, "test_run_not_found")
        assert len((await client.get(f"{base}/test-questions", headers=owner)).json()["data"]) == 2
