"""Question groups over HTTP on Postgres: fallbacks and thumbs-downs, grouped by the real worker
with the offline embedder, then answered or dismissed by the owner."""

from __future__ import annotations

from tests.fakes.openai_fixtures import ServedFakeOpenAI
from tests.integration.accounts_support import problem
from tests.integration.chat_support import chat_app, read_sse
from tests.integration.test_curated_answers_http import run_worker


async def test_the_worker_groups_fallbacks_and_the_owner_answers_and_dismisses(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo, answer_mode="grounded") as chat:
        client, owner = chat.client, chat.owner.headers()
        base = f"/api/v1/agents/{chat.agent['id']}/question-groups"
        for question in ("Shipping abroad to Norway?", "shipping abroad to norway", "Is the shop open on Sundays?"):
            session_id = await chat.new_session()
            response = await client.post(
                chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": question}
            )
            assert dict(read_sse(response.text))["done"]
        assert (await client.get(base, headers=owner)).json()["data"] == [], "nothing until the worker ran"
        queued = await client.post(f"{base}/refresh", headers=owner)
        assert (queued.status_code, queued.json()) == (202, {"status": "queued"})
        await run_worker(chat.app)

        groups = (await client.get(base, headers=owner)).json()["data"]
        assert [(g["label"], g["count"], g["reasons"]) for g in groups] == [
            ("Shipping abroad to Norway?", 2, ["unanswered"]),
            ("Is the shop open on Sundays?", 1, ["unanswered"]),
        ]
        norway, sundays = groups
        pair = await client.post(
            f"/api/v1/question-groups/{norway['id']}/answer", headers=owner, json={"answer": "Yes, in 3 to 5 days."}
        )
        assert pair.status_code == 201, pair.text
        assert pair.json()["question"] == "Shipping abroad to Norway?"
        dismissed = await client.post(f"/api/v1/question-groups/{sundays['id']}/dismiss", headers=owner)
        assert dismissed.json()["status"] == "dismissed"
        problem(
            await client.post(f"/api/v1/question-groups/{sundays['id']}/dismiss", headers=owner),
            409,
            "question_group_closed",
        )
        problem(
            await client.post("/api/v1/question-groups/qgr_nothing/dismiss", headers=owner),
            404,
            "question_group_not_found",
        )
        problem(await client.get(base, headers=owner, params={"status": "closed"}), 422, "invalid_group_status")
        every = (await client.get(base, headers=owner, params={"status": "all"})).json()["data"]
        assert sorted((g["label"], g["status"]) for g in every) == [
            ("Is the shop open on Sundays?", "dismissed"),
            ("Shipping abroad to Norway?", "answered"),
        ]


async def test_a_restricted_workspaces_refresh_sends_no_question_to_openai(
    pg_conninfo, tmp_path, fake_openai: ServedFakeOpenAI
) -> None:
    server = {"openai_api_key": "sk-test", "openai_base_url": fake_openai.base_url}
    async with chat_app(tmp_path, pg_conninfo, server=server, answer_mode="grounded") as chat:
        client, owner = chat.client, chat.owner.headers()
        base = f"/api/v1/agents/{chat.agent['id']}/question-groups"
        for question in ("Shipping abroad to Norway?", "Is the shop open on Sundays?"):
            session_id = await chat.new_session()
            response = await client.post(
                chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": question}
            )
            assert dict(read_sse(response.text))["done"]
        assert fake_openai.fake.calls("/v1/embeddings") == []  # the chat's search is scripted here

        # The workspace's only owner restricts processing: the refresh embeds nothing.
        restricted = await client.put("/api/v1/account/privacy/restriction", headers=owner)
        assert restricted.status_code == 200, restricted.text
        assert (await client.post(f"{base}/refresh", headers=owner)).status_code == 202
        await run_worker(chat.app)
        assert fake_openai.fake.calls("/v1/embeddings") == []
        assert (await client.get(base, headers=owner)).json()["data"] == []

        # Lifted: the same refresh (run directly: requests within a minute queue one job) sends
        # the two questions to the embedder and groups them.
        lifted = await client.delete("/api/v1/account/privacy/restriction", headers=owner)
        assert lifted.status_code == 200, lifted.text
        refresh = chat.app.container.refresh_question_groups()
        assert await refresh(chat.owner.account_id, chat.agent["id"]) == {"questions": 2, "groups": 2}
        embedded = [text for call in fake_openai.fake.calls("/v1/embeddings") for text in call.body["input"]]
        assert sorted(embedded) == ["Is the shop open on Sundays?", "Shipping abroad to Norway?"]
        groups = (await client.get(base, headers=owner)).json()["data"]
        assert len(groups) == 2
