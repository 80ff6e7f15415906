"""Curated answers through the real pipeline on Postgres (offline embedder, real worker): a
visitor's question falls back, the owner fixes the answer, the pair is indexed, and a new
visitor asking a paraphrase gets the owner's answer as it is, with no model call."""

from __future__ import annotations

from aioomi.container import start, stop
from aioomi.entrypoints.worker.jobs import build_worker
from tests.integration.accounts_support import App, build_container, problem, serve
from tests.integration.test_grounded_chat import RETURNS_DOC, agent_with_documents, ask, new_session, text_of

FIXED = "Yes: we ship kettles to Norway in 3 to 5 working days, with tracking."


async def run_worker(app: App) -> None:
    worker_container = build_container("postgres", app.settings, app.conninfo)
    await start(worker_container)
    try:
        await build_worker(worker_container).run_until_idle()
    finally:
        await stop(worker_container)


async def test_a_fixed_answer_is_served_directly_to_a_paraphrase(pg_conninfo, tmp_path) -> None:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo) as app:
        owner, agent, _ = await agent_with_documents(app, ("returns.md", RETURNS_DOC))
        client, headers, base = app.client, owner.headers(), f"/api/v1/agents/{agent['id']}"
        assert (await client.get(f"{base}/curated-answers", headers=headers)).json() == {
            "mode": "passage",
            "threshold": 0.8,
        }
        session = await new_session(app, agent)
        first = await ask(app, agent, session, "Do you deliver kettles to Norway?")
        fell_back = dict(first)["done"]["message_id"]
        detail = (await client.get(f"/api/v1/chat-sessions/{session}", headers=headers)).json()
        assert detail["messages"][1]["status"] == "unanswered"

        chosen = await client.put(f"{base}/curated-answers", headers=headers, json={"mode": "direct", "threshold": 0.7})
        assert chosen.json() == {"mode": "direct", "threshold": 0.7}
        problem(
            await client.put(f"{base}/curated-answers", headers=headers, json={"mode": "x", "threshold": 0.7}),
            422,
            "invalid_curated_mode",
        )
        fixed = await client.post(
            f"{base}/qa-pairs/from-answer",
            headers=headers,
            json={
                "message_id": fell_back,
                "answer": FIXED,
                "alternatives": ["Can I get a kettle delivered in Norway?"],
            },
        )
        assert fixed.status_code == 201, fixed.text
        pair = fixed.json()
        assert (pair["question"], pair["answer"]) == ("Do you deliver kettles to Norway?", FIXED)
        problem(
            await client.post(
                f"{base}/qa-pairs/from-answer",
                headers=headers,
                json={"message_id": detail["messages"][0]["id"], "answer": "x"},
            ),
            409,
            "feedback_not_allowed",
        )
        await run_worker(app)  # the pair's document is indexed

        later = await new_session(app, agent)
        events = await ask(app, agent, later, "Do you ship kettles to Norway?")
        assert text_of(events) == FIXED
        assert [c["document_id"] for c in dict(events)["sources"]["citations"]] == [pair["id"]]
        served = (await client.get(f"/api/v1/chat-sessions/{later}", headers=headers)).json()["messages"][1]
        assert (served["status"], served["curated_pair_id"], served["model"]) == ("complete", pair["id"], None)
        assert (served["prompt_tokens"], served["completion_tokens"]) == (0, 0), "nothing metered: no model"

        # Deleted, the pair no longer answers.
        assert (await client.delete(f"{base}/qa-pairs/{pair['id']}", headers=headers)).status_code == 204
        await run_worker(app)
        again = await ask(app, agent, await new_session(app, agent), "Do you ship kettles to Norway?")
        assert text_of(again) != FIXED
