"""The widget API, the owner's conversations and the request log, over HTTP on Postgres."""

from __future__ import annotations

import psycopg

from aioomi.domain.model.chat import ChatLimits
from tests.integration.accounts_support import problem
from tests.integration.chat_support import ORIGIN, VISITOR, chat_app, read_sse


async def test_a_visitor_chats_through_the_widget_and_the_owner_reads_it(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        client = chat.client
        config = await client.get(chat.widget("/config"), headers={"origin": ORIGIN})
        assert config.status_code == 200 and config.headers["access-control-allow-origin"] == ORIGIN
        assert config.json()["greeting"] == "Hi! Ask me anything."
        assert config.json()["starter_questions"] == ["How do returns work?"]

        session_id = await chat.new_session()
        response = await client.post(
            chat.widget(f"/sessions/{session_id}/messages"),
            headers=chat.headers(),
            json={"content": "How many days to return an item?"},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["access-control-allow-origin"] == ORIGIN
        events = read_sse(response.text)
        names = [name for name, _ in events]
        assert names[0] == "start" and names[-2:] == ["sources", "done"] and "token" in names
        assert "".join(data["text"] for name, data in events if name == "token") == "Within 30 days [1]."
        sources = dict(events)["sources"]["citations"]
        assert sources == [
            {
                "document_id": "doc_returns",
                "document_title": "Returns policy",
                "position": 3,
                "excerpt": "You can return any item within 30 days for a full refund.",
                "number": 1,
                "url": None,
            }
        ]
        done = dict(events)["done"]
        assert done["usage"]["prompt_tokens"] > 0 and done["message_id"] == events[0][1]["message_id"]

        listed = await client.get(chat.widget("/sessions"), headers=chat.headers())
        assert [s["id"] for s in listed.json()["data"]] == [session_id]
        resumed = (await client.get(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())).json()
        assert [(m["role"], m["status"]) for m in resumed["messages"]] == [
            ("user", "complete"),
            ("assistant", "complete"),
        ]
        assert resumed["messages"][1]["citations"][0]["document_title"] == "Returns policy"
        # another visitor id sees nothing of it
        other = await client.get(
            chat.widget(f"/sessions/{session_id}"), headers=chat.headers("another-visitor-000000001")
        )
        problem(other, 404, "session_not_found")

        owner = chat.owner.headers()
        agent_id = chat.agent["id"]
        page = (await client.get(f"/api/v1/agents/{agent_id}/sessions", headers=owner)).json()
        assert [s["id"] for s in page["data"]] == [session_id] and page["data"][0]["ip"]
        future = await client.get(
            f"/api/v1/agents/{agent_id}/sessions", headers=owner, params={"from": "2999-01-01T00:00:00Z"}
        )
        assert future.json()["data"] == []
        detail = (await client.get(f"/api/v1/chat-sessions/{session_id}", headers=owner)).json()
        assert detail["messages"][1]["model"] == "gpt-4o" and detail["messages"][1]["latency_ms"] is not None
        export = (await client.get(f"/api/v1/agents/{agent_id}/sessions/export", headers=owner)).json()
        assert export["sessions"][0]["messages"][0]["content"] == "How many days to return an item?"
        visitor_export = await client.get(chat.widget(f"/sessions/{session_id}/export"), headers=chat.headers())
        assert visitor_export.json()["sessions"][0]["session"]["id"] == session_id
        assert await chat.app.count("usage_entries") == 1

        deleted = await client.delete(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())
        assert deleted.status_code == 204
        assert await chat.app.count("chat_sessions") == 0 and await chat.app.count("chat_messages") == 0


async def test_the_owner_deletes_a_session_and_pages_through_sessions(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        ids = [await chat.new_session() for _ in range(3)]
        owner = chat.owner.headers()
        first = (
            await chat.client.get(f"/api/v1/agents/{chat.agent['id']}/sessions", headers=owner, params={"limit": 2})
        ).json()
        second = (
            await chat.client.get(
                f"/api/v1/agents/{chat.agent['id']}/sessions",
                headers=owner,
                params={"limit": 2, "cursor": first["next_cursor"]},
            )
        ).json()
        assert sorted(s["id"] for s in first["data"] + second["data"]) == sorted(ids)
        assert second["next_cursor"] is None
        response = await chat.client.delete(f"/api/v1/chat-sessions/{ids[0]}", headers=owner)
        assert response.status_code == 204 and await chat.app.count("chat_sessions") == 2
        problem(await chat.client.get(f"/api/v1/chat-sessions/{ids[0]}", headers=owner), 404, "session_not_found")


async def test_bad_widget_requests_are_refused_and_store_nothing(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        client = chat.client
        session_id = await chat.new_session()
        send = chat.widget(f"/sessions/{session_id}/messages")
        problem(
            await client.get("/api/v1/widget/pk_unknown_key_000000000/config", headers={"origin": ORIGIN}),
            404,
            "agent_not_found",
        )
        wrong = await client.post(send, headers=chat.headers(origin="https://evil.example"), json={"content": "Hi"})
        refusal = problem(wrong, 403, "origin_not_allowed")
        # The refusal itself is readable by the page (so the widget can say which origin to add), and
        # says nothing of the agent but that.
        assert wrong.headers["access-control-allow-origin"] == "https://evil.example"
        assert "https://evil.example" in refusal["detail"] and chat.agent["name"] not in refusal["detail"]
        no_origin = await client.post(send, headers={"x-visitor-id": VISITOR}, json={"content": "Hi"})
        problem(no_origin, 403, "origin_not_allowed")
        bad_visitor = await client.post(send, headers=chat.headers("short"), json={"content": "Hi"})
        assert bad_visitor.status_code in (400, 422)
        problem(await client.post(send, headers=chat.headers(), json={}), 422, "validation_failed")
        problem(await client.post(send, headers=chat.headers(), json={"content": "x" * 4001}), 422, "message_too_long")
        problem(await client.post(send, headers=chat.headers(), json={"content": "  "}), 422, "message_empty")
        invalid_utf8 = await client.post(
            send, headers=chat.headers(**{"content-type": "application/json"}), content=b'{"content": "\xff\xfe"}'
        )
        assert invalid_utf8.status_code == 400, invalid_utf8.text
        assert await chat.app.count("chat_messages") == 0 and chat.model.requests == []


async def test_preflight_is_answered_per_agent(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        headers = {
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-visitor-id",
        }
        allowed = await chat.client.options(chat.widget("/sessions"), headers=headers)
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "x-visitor-id" in allowed.headers["access-control-allow-headers"]
        denied = await chat.client.options(
            chat.widget("/sessions"), headers=headers | {"origin": "https://evil.example"}
        )
        assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers


async def test_paused_agents_and_restricted_owners_answer_a_clear_problem(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        session_id = await chat.new_session()
        await chat.client.patch(
            f"/api/v1/agents/{chat.agent['id']}", json={"status": "paused"}, headers=chat.owner.headers()
        )
        paused = await chat.client.post(
            chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": "Hello"}
        )
        problem(paused, 403, "agent_paused")
        assert paused.headers["access-control-allow-origin"] == ORIGIN  # the widget can read why
        await chat.client.patch(
            f"/api/v1/agents/{chat.agent['id']}", json={"status": "active"}, headers=chat.owner.headers()
        )
        async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
            await conn.execute("UPDATE accounts SET status = 'restricted'")
        restricted = await chat.client.post(
            chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": "Hello"}
        )
        problem(restricted, 403, "agent_restricted")
        assert await chat.app.count("chat_messages") == 0


async def test_limits_hold_when_the_visitor_id_rotates(pg_conninfo, tmp_path):
    limits = ChatLimits(per_visitor_minute=2, per_ip_minute=4)
    async with chat_app(tmp_path, pg_conninfo, limits=limits) as chat:
        visitors = [f"rotating-visitor-{i:08d}" for i in range(5)]
        sessions = {v: await chat.new_session(v) for v in visitors}
        same = visitors[0]
        for _ in range(2):
            ok = await chat.client.post(
                chat.widget(f"/sessions/{sessions[same]}/messages"),
                headers=chat.headers(same),
                json={"content": "Return policy?"},
                params={"stream": "false"},
            )
            assert ok.status_code == 200, ok.text
        over = await chat.client.post(
            chat.widget(f"/sessions/{sessions[same]}/messages"),
            headers=chat.headers(same),
            json={"content": "Return policy?"},
        )
        problem(over, 429, "rate_limited")
        assert int(over.headers["retry-after"]) >= 1
        # a fresh visitor id gets one more message in (the IP allows 4 hits a minute, refused ones count), then
        # the IP limit holds
        statuses = []
        for visitor in visitors[1:]:
            response = await chat.client.post(
                chat.widget(f"/sessions/{sessions[visitor]}/messages"),
                headers=chat.headers(visitor),
                json={"content": "Return policy?"},
                params={"stream": "false"},
            )
            statuses.append(response.status_code)
        assert statuses == [200, 429, 429, 429]
        assert await chat.app.count("chat_messages") == 6


async def test_non_streaming_answers_and_idempotent_retries(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        session_id = await chat.new_session()
        url = chat.widget(f"/sessions/{session_id}/messages")
        headers = chat.headers(**{"idempotency-key": "send-1"})
        first = await chat.client.post(
            url, headers=headers, json={"content": "Return policy?"}, params={"stream": "false"}
        )
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["message"]["content"] == "Within 30 days [1]." and body["usage"]["total_tokens"] > 0
        again = await chat.client.post(url, headers=headers, json={"content": "Return policy?"})
        events = read_sse(again.text)
        assert events[0][1]["message_id"] == body["message"]["id"]
        assert len(chat.model.requests) == 1 and await chat.app.count("chat_messages") == 2


async def test_a_broken_stream_ends_with_an_error_event_and_is_stored_failed(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        session_id = await chat.new_session()
        chat.model.cut_after = 2
        response = await chat.client.post(
            chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": "Return policy?"}
        )
        events = read_sse(response.text)
        assert events[-1][0] == "error" and events[-1][1]["code"] == "model_stream_interrupted"
        assert events[-1][1]["message"]
        async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
            rows = await (
                await conn.execute("SELECT status, content FROM chat_messages WHERE role = 'assistant'")
            ).fetchall()
        assert rows == [("failed", "Within 30")]


async def test_requests_are_logged_with_their_route_template_and_agent(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        await chat.client.get(chat.widget("/config"), headers={"origin": ORIGIN})
        await chat.app.client.app.state.request_log_writer.flush()
        async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
            rows = await (
                await conn.execute(
                    "SELECT method, route, status, account_id, agent_id, ip FROM api_request_log "
                    "WHERE route LIKE '/api/v1/widget/%%'"
                )
            ).fetchall()
        assert rows == [
            ("GET", "/api/v1/widget/{public_key}/config", 200, chat.owner.account_id, chat.agent["id"], "testclient")
        ] or rows[0][:5] == ("GET", "/api/v1/widget/{public_key}/config", 200, chat.owner.account_id, chat.agent["id"])
        assert chat.key not in str(rows)
