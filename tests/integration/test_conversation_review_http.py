"""The owner's conversation review over HTTP on Postgres: filters, search, problems."""

from __future__ import annotations

from tests.integration.accounts_support import problem
from tests.integration.chat_support import chat_app, read_sse


async def test_the_owner_filters_and_searches_conversations(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo, answer_mode="grounded") as chat:
        client, owner = chat.client, chat.owner.headers()
        sessions = {}
        for question in ("How many days to return an item?", "Shipping abroad to Norway?"):
            sessions[question] = await chat.new_session()
            response = await client.post(
                chat.widget(f"/sessions/{sessions[question]}/messages"),
                headers=chat.headers(),
                json={"content": question},
            )
            answer_id = dict(read_sse(response.text))["done"]["message_id"]
        await client.post(
            chat.widget(f"/sessions/{sessions['Shipping abroad to Norway?']}/messages/{answer_id}/feedback"),
            headers=chat.headers(),
            json={"rating": "down"},
        )
        url = f"/api/v1/agents/{chat.agent['id']}/conversations"

        rows = (await client.get(url, headers=owner)).json()["data"]
        assert [(r["first_question"], r["message_count"], r["outcome"], r["thumbs_down"]) for r in rows] == [
            ("Shipping abroad to Norway?", 2, "unanswered", 1),
            ("How many days to return an item?", 2, "answered", 0),
        ]
        for params, expected in (
            ({"unanswered": "true"}, ["Shipping abroad to Norway?"]),
            ({"feedback": "down"}, ["Shipping abroad to Norway?"]),
            ({"q": "RETURN item"}, ["How many days to return an item?"]),
            ({"q": "within"}, ["How many days to return an item?"]),  # in the answer
            ({"q": "norway within"}, []),
        ):
            found = (await client.get(url, headers=owner, params=params)).json()["data"]
            assert [r["first_question"] for r in found] == expected, params
        page = (await client.get(url, headers=owner, params={"limit": 1})).json()
        following = (await client.get(url, headers=owner, params={"limit": 1, "cursor": page["next_cursor"]})).json()
        assert [r["first_question"] for r in following["data"]] == ["How many days to return an item?"]

        # No visitor asked for a person here, and none left a lead (the contract test covers both).
        assert (await client.get(url, headers=owner, params={"handed_off": "true"})).json()["data"] == []
        assert len((await client.get(url, headers=owner, params={"has_lead": "false"})).json()["data"]) == len(
            (await client.get(url, headers=owner)).json()["data"]
        )
        problem(await client.get(url, headers=owner, params={"feedback": "meh"}), 422, "invalid_feedback_filter")
        problem(await client.get(url, headers=owner, params={"q": " ".join(["word"] * 21)}), 422, "search_too_long")
        problem(await client.get(url, headers=owner, params={"q": "?!"}), 422, "search_empty")
