"""The improvement loop's dashboard pages over HTTP on Postgres: the questions to fix (with the
real worker grouping fallbacks), their forms' API targets, and another owner's 404; the test
questions page with each question's last result, what changed and the run history."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import msgspec
from dependency_injector import providers
from testkit.builders import document_for, store_documents

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.usecases.test_questions.request_test_run import RequestTestRun
from tests.integration.accounts_support import run_jobs, sign_up_and_verify
from tests.integration.chat_support import RETURNS, chat_app, read_sse
from tests.integration.test_curated_answers_http import run_worker


async def test_the_questions_page_lists_the_groups_with_their_actions(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo, answer_mode="grounded") as chat:
        client, agent_id = chat.client, chat.agent["id"]
        page = f"/dashboard/agents/{agent_id}/questions"
        empty = await client.get(page)
        assert empty.status_code == 200, empty.text[:500]
        assert "No open questions to fix" in empty.text
        assert f'data-api="/api/v1/agents/{agent_id}/question-groups/refresh"' in empty.text
        for question in ("Shipping abroad to Norway?", "shipping abroad to norway", "Is the shop open on Sundays?"):
            session_id = await chat.new_session()
            response = await client.post(
                chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": question}
            )
            assert dict(read_sse(response.text))["done"]
        await client.post(f"/api/v1/agents/{agent_id}/question-groups/refresh", headers=chat.owner.headers())
        await run_worker(chat.app)

        text = html.unescape((await client.get(page)).text)
        groups = (await client.get(f"/api/v1/agents/{agent_id}/question-groups")).json()["data"]
        assert [g["label"] for g in groups] == ["Shipping abroad to Norway?", "Is the shop open on Sundays?"]
        norway, sundays = groups
        assert text.index("Shipping abroad to Norway?") < text.index("Is the shop open on Sundays?")
        assert "Asked 2 times" in text and "Asked 1 time" in text
        assert norway["examples"][0] == "Shipping abroad to Norway?"
        for example in norway["examples"]:
            assert f"<li>{example}</li>" in text
        assert "not answered" in text
        for group in (norway, sundays):
            assert f'data-api="/api/v1/question-groups/{group["id"]}/answer"' in text
            assert f'data-api="/api/v1/question-groups/{group["id"]}/dismiss"' in text
            assert f'<label for="answer-{group["id"]}">' in text

        await client.post(f"/api/v1/question-groups/{sundays['id']}/dismiss", headers=chat.owner.headers())
        text = html.unescape((await client.get(page)).text)
        assert "Is the shop open on Sundays?" not in text, "a dismissed group leaves the open list"
        dismissed = html.unescape((await client.get(page, params={"status": "dismissed"})).text)
        assert "Is the shop open on Sundays?" in dismissed
        assert f"/api/v1/question-groups/{sundays['id']}/dismiss" not in dismissed, "no actions on a closed group"
        assert (await client.get(page, params={"status": "closed"})).status_code == 422

        async with chat.app.another_client() as other:
            await sign_up_and_verify(chat.app, "other@example.com", client=other)
            response = await other.get(page)
            assert response.status_code == 404
            assert "Norway" not in response.text


async def test_the_conversation_page_shows_votes_and_a_fix_form_per_answer(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo) as chat:
        client, agent_id = chat.client, chat.agent["id"]
        session_id = await chat.new_session()
        answers = []
        for question in ("How many days to return an item?", "Do you ship to Norway?"):
            response = await client.post(
                chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": question}
            )
            answers.append(dict(read_sse(response.text))["done"]["message_id"])
        disliked, unrated = answers
        voted = await client.post(
            chat.widget(f"/sessions/{session_id}/messages/{disliked}/feedback"),
            headers=chat.headers(),
            json={"rating": "down", "comment": "It is 14 days."},
        )
        assert voted.status_code == 200, voted.text

        page = await client.get(f"/dashboard/conversations/{session_id}")
        assert page.status_code == 200, page.text[:500]
        text = html.unescape(page.text)
        assert text.count("Fix this answer") == 2, "one fix form per assistant answer"
        assert text.count(f'data-api="/api/v1/agents/{agent_id}/qa-pairs/from-answer"') == 2
        for answer_id in answers:
            assert f'name="message_id" value="{answer_id}"' in text
            assert f'<label for="fix-{answer_id}">The right answer</label>' in text
        first, _ = text.split(f'value="{unrated}"')
        assert "👎 thumbs down" in first and '<q class="vote-comment">It is 14 days.</q>' in first
        assert "Visitor's vote: none" in first.split(f'value="{disliked}"')[1]

        # The form's target takes exactly the fields the form sends.
        fixed = await client.post(
            f"/api/v1/agents/{agent_id}/qa-pairs/from-answer",
            headers=chat.owner.headers(),
            json={"message_id": disliked, "answer": "Within 14 days.", "alternatives": ["Return window?"]},
        )
        assert fixed.status_code == 201, fixed.text
        assert fixed.json()["question"] == "How many days to return an item?"

        async with chat.app.another_client() as other:
            await sign_up_and_verify(chat.app, "other@example.com", client=other)
            response = await other.get(f"/dashboard/conversations/{session_id}")
            assert response.status_code == 404
            assert "It is 14 days." not in response.text


async def test_the_knowledge_page_edits_the_curated_answer_setting(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo) as chat:
        client, agent_id = chat.client, chat.agent["id"]
        page = f"/dashboard/agents/{agent_id}/knowledge"
        text = (await client.get(page)).text
        assert f'data-api="/api/v1/agents/{agent_id}/curated-answers" data-method="PUT"' in text
        # The default: given to the model as the top passage, at 0.8.
        assert re.search(r'id="f-curated-passage" name="mode" value="passage" checked', text)
        assert not re.search(r'id="f-curated-direct" name="mode" value="direct" checked', text)
        assert re.search(r'id="f-curated-threshold" name="threshold" type="number" value="0.8"', text)

        # What the form sends (mode from the radios, the threshold as a number) is what the API takes.
        saved = await client.put(
            f"/api/v1/agents/{agent_id}/curated-answers",
            headers=chat.owner.headers(),
            json={"mode": "direct", "threshold": 0.65},
        )
        assert saved.status_code == 200, saved.text
        text = (await client.get(page)).text
        assert re.search(r'id="f-curated-direct" name="mode" value="direct" checked', text)
        assert not re.search(r'id="f-curated-passage" name="mode" value="passage" checked', text)
        assert re.search(r'id="f-curated-threshold" name="threshold" type="number" value="0.65"', text)


def _first_questions(page: str) -> list[str]:
    return re.findall(r"<tr>\s*<td>([^<]*)</td>", html.unescape(page))


async def test_the_conversation_list_filters_like_the_review_api(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo, answer_mode="grounded") as chat:
        client, agent_id = chat.client, chat.agent["id"]
        votes = {
            "How many days to return an item?": "up",  # answered from the returns passage
            "Shipping abroad to Norway?": "down",  # nothing relevant: falls back
            "Is the shop open on Sundays?": None,  # falls back, no vote
        }
        for question, vote in votes.items():
            session_id = await chat.new_session()
            response = await client.post(
                chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": question}
            )
            answer_id = dict(read_sse(response.text))["done"]["message_id"]
            if vote:
                await client.post(
                    chat.widget(f"/sessions/{session_id}/messages/{answer_id}/feedback"),
                    headers=chat.headers(),
                    json={"rating": vote},
                )
        page = "/dashboard/conversations"
        everything = (await client.get(page, params={"agent_id": agent_id})).text
        returns, norway, sundays = votes
        assert _first_questions(everything) == [sundays, norway, returns], "newest first"
        assert 'class="badge outcome-unanswered">unanswered<' in everything
        assert 'class="badge outcome-answered">answered<' in everything
        assert '"visually-hidden">0 up, 1 down<' in everything and '"visually-hidden">1 up, 0 down<' in everything
        for name in ("q", "feedback", "unanswered", "handed_off", "has_lead", "from", "to"):
            assert f'name="{name}"' in everything, name
        for params, expected in (
            ({"unanswered": "true"}, [sundays, norway]),
            ({"feedback": "down"}, [norway]),
            ({"feedback": "any"}, [norway, returns]),
            ({"feedback": "any", "unanswered": "true"}, [norway]),
            ({"q": "RETURN item"}, [returns]),
            ({"q": "sundays", "feedback": "down"}, []),
        ):
            response = await client.get(page, params={"agent_id": agent_id} | params)
            assert response.status_code == 200, (params, response.text[:300])
            assert _first_questions(response.text) == expected, params
        kept = (await client.get(page, params={"agent_id": agent_id, "q": "return", "feedback": "up"})).text
        assert 'name="q" value="return"' in kept
        assert '<option value="up" selected>' in kept
        assert "match these filters" in (await client.get(page, params={"agent_id": agent_id, "q": "zebra"})).text
        assert (await client.get(page, params={"agent_id": agent_id, "feedback": "meh"})).status_code == 400

        async with chat.app.another_client() as other:
            await sign_up_and_verify(chat.app, "other@example.com", client=other)
            response = await other.get(page, params={"agent_id": agent_id, "unanswered": "true"})
            assert response.status_code == 200, "another owner sees their own (empty) list"
            assert "Norway" not in response.text


def row_of(page: str, question_id: str) -> str:
    """The text of a test question's row on the tests page (tags dropped, spaces squeezed)."""
    [row] = re.findall(rf'<tr id="tq-{question_id}".*?</tr>', page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(row)).split())


def result_of(page: str, question_id: str) -> tuple[str, str]:
    """A test question's last outcome and its change since the run before, as its row says them."""
    [row] = re.findall(rf'<tr id="tq-{question_id}".*?</tr>', page, flags=re.S)
    [outcome] = re.findall(r"data-outcome>([^<]*)<", row)
    [change] = re.findall(r"<td data-change>(.*?)</td>", row, flags=re.S)
    return outcome, re.sub(r"<[^>]+>", "", change)


async def test_the_test_questions_page_shows_each_questions_last_result_and_the_run_history(
    pg_conninfo, tmp_path
) -> None:
    async with chat_app(tmp_path, pg_conninfo, answer_mode="grounded") as chat:
        client, agent_id, owner = chat.client, chat.agent["id"], chat.owner.headers()
        container = chat.app.container
        clock = ManualClock(datetime.now(UTC))
        container.request_test_run.override(providers.Factory(RequestTestRun, uow=container.uow, clock=clock))
        returns = document_for(chat.owner.account_id, agent_id, title="Returns policy")
        await store_documents(container, returns)
        chat.search.passages[:] = [msgspec.structs.replace(RETURNS, document_id=returns.id)]
        page = f"/dashboard/agents/{agent_id}/tests"

        empty = html.unescape((await client.get(page)).text)
        assert "No test questions yet" in empty and "No run yet" in empty
        assert f'<a href="/dashboard/agents/{agent_id}/tests" aria-current="page">Test questions</a>' in empty
        assert f'<option value="{returns.id}" >Returns policy</option>' in empty, "the agent's documents to cite"
        assert f'data-api="/api/v1/agents/{agent_id}/test-questions" data-method="POST"' in empty
        knowledge = (await client.get(f"/dashboard/agents/{agent_id}/knowledge")).text
        assert f'<a href="/dashboard/agents/{agent_id}/tests" >Test questions</a>' in knowledge, "in the agent's tabs"

        async def add(body: dict) -> str:
            response = await client.post(f"/api/v1/agents/{agent_id}/test-questions", headers=owner, json=body)
            assert response.status_code == 201, response.text
            return response.json()["id"]

        cites = await add({"question": "Can I return it?", "kind": "cites", "document_id": returns.id})
        norway = await add({"question": "Shipping abroad to Norway?", "kind": "falls_back"})
        listed = (await client.get(page)).text
        assert row_of(listed, cites).startswith("Can I return it? Cites “Returns policy” not run yet —")
        assert result_of(listed, cites) == ("not run yet", "—")
        assert row_of(listed, norway).startswith("Shipping abroad to Norway? Falls back")
        assert f'data-api="/api/v1/agents/{agent_id}/test-questions/{cites}" data-method="PUT"' in listed
        assert f'data-api="/api/v1/agents/{agent_id}/test-questions/{norway}" data-method="DELETE"' in listed

        assert (await client.post(f"/api/v1/agents/{agent_id}/test-questions/run", headers=owner)).status_code == 202
        await run_jobs(chat.app)
        first = (await client.get(page)).text
        assert result_of(first, cites) == ("passed", "no change")
        assert "answered: Within 30 days [1]." in row_of(first, cites)
        assert result_of(first, norway) == ("passed", "no change")
        assert "Last run" in first and "2 passed" in first and "0 failed" in first

        # The returns page leaves the search: the cites question fails now, newly.
        chat.search.passages.clear()
        clock.advance(timedelta(minutes=1))
        assert (await client.post(f"/api/v1/agents/{agent_id}/test-questions/run", headers=owner)).status_code == 202
        await run_jobs(chat.app)
        second = (await client.get(page)).text
        assert result_of(second, cites) == ("failed", "newly failing")
        assert result_of(second, norway) == ("passed", "no change")
        history = html.unescape(re.findall(r'<table class="list" id="test-runs".*?</table>', second, flags=re.S)[0])
        assert len(re.findall(r"<tr data-run=", history)) == 2
        assert "1 newly failing, 0 newly passing" in history
        assert "<li>Can I return it?: newly failing</li>" in history

        # The cited document is deleted: the question stays, says so, and its edit form keeps it.
        deleted = await client.delete(f"/api/v1/agents/{agent_id}/documents/{returns.id}", headers=owner)
        assert deleted.status_code == 204, deleted.text
        after = html.unescape((await client.get(page)).text)
        assert f"Cites a document no longer in the knowledge base ({returns.id})" in row_of(after, cites)
        assert f'<option value="{returns.id}" selected>The document cited now ({returns.id}), not listed here' in after

        async with chat.app.another_client() as other:
            await sign_up_and_verify(chat.app, "other@example.com", client=other)
            response = await other.get(page)
            assert response.status_code == 404
            assert "Can I return it?" not in response.text
