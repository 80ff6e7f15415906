"""Feedback on answers over HTTP on Postgres: the widget's vote, the owner's list and the
conversation that carries it, the problems for bad votes, the rate limit."""

from __future__ import annotations

from aioomi.domain.model.chat import ChatLimits
from tests.integration.accounts_support import problem
from tests.integration.chat_support import chat_app, read_sse


async def ask(chat, session_id: str, question: str) -> str:
    response = await chat.client.post(
        chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": question}
    )
    assert response.status_code == 200, response.text
    return dict(read_sse(response.text))["done"]["message_id"]


async def test_a_visitor_rates_an_answer_and_the_owner_reads_it(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        client = chat.client
        session_id = await chat.new_session()
        answer_id = await ask(chat, session_id, "How many days to return an item?")
        url = chat.widget(f"/sessions/{session_id}/messages/{answer_id}/feedback")

        voted = await client.post(url, headers=chat.headers(), json={"rating": "down", "comment": "It is 14 days."})
        assert voted.status_code == 200, voted.text
        assert voted.headers["access-control-allow-origin"] == "https://shop.example.com"
        body = voted.json()
        assert (body["rating"], body["comment"]) == ("down", "It is 14 days.")
        assert body["given_at"] == body["updated_at"]
        changed = (await client.post(url, headers=chat.headers(), json={"rating": "up"})).json()
        assert (changed["rating"], changed["comment"], changed["given_at"]) == ("up", None, body["given_at"])

        resumed = (await client.get(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())).json()
        assert [m["feedback"] and m["feedback"]["rating"] for m in resumed["messages"]] == [None, "up"]

        owner, agent_id = chat.owner.headers(), chat.agent["id"]
        await client.post(url, headers=chat.headers(), json={"rating": "down", "comment": "Wrong after all."})
        listed = (
            await client.get(f"/api/v1/agents/{agent_id}/feedback", headers=owner, params={"rating": "down"})
        ).json()["data"]
        assert [(e["message_id"], e["question"], e["feedback"]["comment"]) for e in listed] == [
            (answer_id, "How many days to return an item?", "Wrong after all.")
        ]
        assert (await client.get(f"/api/v1/agents/{agent_id}/feedback", headers=owner, params={"rating": "up"})).json()[
            "data"
        ] == []
        problem(
            await client.get(f"/api/v1/agents/{agent_id}/feedback", headers=owner, params={"rating": "meh"}),
            422,
            "invalid_rating",
        )
        detail = (await client.get(f"/api/v1/chat-sessions/{session_id}", headers=owner)).json()
        assert detail["messages"][1]["feedback"]["comment"] == "Wrong after all."
        export = (await client.get(f"/api/v1/agents/{agent_id}/sessions/export", headers=owner)).json()
        assert export["sessions"][0]["messages"][1]["feedback"]["comment"] == "Wrong after all."

        # The vote goes with the conversation when the visitor deletes it.
        assert (await client.delete(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())).status_code == 204
        assert (await client.get(f"/api/v1/agents/{agent_id}/feedback", headers=owner)).json()["data"] == []


async def test_bad_votes_are_refused_with_a_clear_problem_and_store_nothing(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        client = chat.client
        session_id = await chat.new_session()
        answer_id = await ask(chat, session_id, "How many days to return an item?")
        messages = (await client.get(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())).json()["messages"]
        question_id = messages[0]["id"]

        def url(message_id: str = answer_id, session: str = session_id) -> str:
            return chat.widget(f"/sessions/{session}/messages/{message_id}/feedback")

        problem(await client.post(url(), headers=chat.headers(), json={"rating": "meh"}), 422, "invalid_rating")
        problem(
            await client.post(url(), headers=chat.headers(), json={"rating": "up", "comment": "x" * 1001}),
            422,
            "comment_too_long",
        )
        problem(
            await client.post(url(), headers=chat.headers(), json={"rating": "up", "comment": "x" * 2001}),
            422,
            "validation_failed",
        )
        problem(
            await client.post(url(), headers=chat.headers(), json={"comment": "no rating"}), 422, "validation_failed"
        )
        problem(
            await client.post(url(question_id), headers=chat.headers(), json={"rating": "up"}),
            409,
            "feedback_not_allowed",
        )
        problem(
            await client.post(url("msg_0000000000000000000000"), headers=chat.headers(), json={"rating": "up"}),
            404,
            "message_not_found",
        )
        problem(
            await client.post(url(), headers=chat.headers("another-visitor-000000001"), json={"rating": "down"}),
            404,
            "session_not_found",
        )
        assert (await client.get(f"/api/v1/agents/{chat.agent['id']}/feedback", headers=chat.owner.headers())).json()[
            "data"
        ] == []


async def test_votes_are_rate_limited_like_messages(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo, limits=ChatLimits(per_visitor_minute=2)) as chat:
        session_id = await chat.new_session()
        answer_id = await ask(chat, session_id, "How many days to return an item?")
        url = chat.widget(f"/sessions/{session_id}/messages/{answer_id}/feedback")
        for rating in ("up", "down"):  # 2 a minute, as the test's limits say; messages count apart
            assert (await chat.client.post(url, headers=chat.headers(), json={"rating": rating})).status_code == 200
        refused = await chat.client.post(url, headers=chat.headers(), json={"rating": "up"})
        problem(refused, 429, "rate_limited")
        assert int(refused.headers["retry-after"]) > 0
        messages = (await chat.client.get(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())).json()
        assert messages["messages"][1]["feedback"]["rating"] == "down", "the refused vote stored nothing"
