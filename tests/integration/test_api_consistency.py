"""One shape across the API: validation errors name the field the client sent and where
(``query``, ``body``, ``path``, ``header``), in words; every date filter takes a plain date or an
RFC 3339 date-time under the same names ``from`` and ``to``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.accounts_support import problem
from tests.integration.chat_support import ORIGIN, chat_app

INTERNALS = ("Expected", "`str`", "`int`", "regex", "ParamType", "RFC3339 encoded")


def in_words(body: dict) -> None:
    for text in [body["detail"], *(e["message"] for e in body.get("errors", []))]:
        assert not any(word in text for word in INTERNALS), text


async def test_errors_name_the_field_as_sent_and_its_source_in_words(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        header = problem(
            await chat.client.get(chat.widget("/sessions"), headers={"origin": ORIGIN, "x-visitor-id": "short"}), 422
        )
        assert [(e["field"], e["source"]) for e in header["errors"]] == [("X-Visitor-Id", "header")]
        assert header["errors"][0]["message"] == "Use at least 16 characters."
        in_words(header)

        owner = chat.owner.headers()
        query = problem(
            await chat.client.get(f"/api/v1/agents/{chat.agent['id']}/sessions", headers=owner, params={"limit": "0"}),
            422,
        )
        assert [(e["field"], e["source"]) for e in query["errors"]] == [("limit", "query")]
        assert query["errors"][0]["message"] == "Use a number of at least 1."
        in_words(query)

        body = problem(
            await chat.client.post(
                "/api/v1/agents", headers=owner, json={"name": "", "widget": {"primary_color": "red"}}
            ),
            422,
        )
        assert {(e["field"], e["source"]) for e in body["errors"]} == {
            ("name", "body"),
            ("widget.primary_color", "body"),
        }
        in_words(body)

        signup = problem(
            await chat.client.post(
                "/api/v1/auth/signup",
                json={
                    "email": "a@b.co",
                    "full_name": "",
                    "password": "x" * 20,
                    "adult": True,
                    "accepted_policy_version": "1",
                },
            ),
            422,
        )
        assert signup["errors"][0]["source"] == "body"
        in_words(signup)


async def test_every_date_filter_takes_a_date_or_a_datetime_under_from_and_to(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        session_id = await chat.new_session()
        owner = chat.owner.headers()
        sessions = f"/api/v1/agents/{chat.agent['id']}/sessions"
        today = datetime.now(UTC).date()
        tomorrow = today + timedelta(days=1)
        for params, expected in [
            ({"from": today.isoformat()}, [session_id]),  # a plain date: from the start of that day
            ({"to": today.isoformat()}, [session_id]),  # a plain date `to` includes the whole day
            ({"from": tomorrow.isoformat()}, []),
            ({"to": f"{today.isoformat()}T00:00:00Z"}, []),  # a date-time `to` is exclusive
            ({"from": f"{today.isoformat()}T00:00:00+00:00", "to": f"{tomorrow.isoformat()}T00:00:00Z"}, [session_id]),
        ]:
            response = await chat.client.get(sessions, headers=owner, params=params)
            assert response.status_code == 200, (params, response.text)
            assert [s["id"] for s in response.json()["data"]] == expected, params
            export = await chat.client.get(f"{sessions}/export", headers=owner, params=params)
            assert [s["session"]["id"] for s in export.json()["sessions"]] == expected, params
        for params, field in [
            ({"from": "yesterday"}, "from"),
            ({"to": "2026-13-01"}, "to"),
            ({"from": "2026-03-01T10:00:00"}, "from"),
        ]:  # no offset: ambiguous
            bad = problem(await chat.client.get(sessions, headers=owner, params=params), 422, "invalid_date")
            assert bad["errors"][0]["field"] == field
            in_words(bad)
        problem(
            await chat.client.get(sessions, headers=owner, params={"from": "2026-03-02", "to": "2026-03-01"}),
            422,
            "invalid_range",
        )

        usage = await chat.client.get(
            "/api/v1/usage", headers=owner, params={"from": f"{today.isoformat()}T00:00:00Z", "to": today.isoformat()}
        )
        assert usage.status_code == 200, usage.text
        assert (usage.json()["from"], usage.json()["to"]) == (today.isoformat(), today.isoformat())
        bad = problem(
            await chat.client.get("/api/v1/usage", headers=owner, params={"from": "March"}), 422, "invalid_date"
        )
        assert bad["errors"][0]["field"] == "from"


async def test_the_schema_describes_the_upload_body_and_v1_errors_in_openais_shape(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        schema = (await chat.client.get("/schema/openapi.json")).json()
        documents = "/api/v1/agents/{agent_id}/documents"
        for path, method in [(documents, "post"), (documents + "/{document_id}", "put")]:
            content = schema["paths"][path][method]["requestBody"]["content"]
            assert set(content) == {"multipart/form-data", "application/json"}, path
            form = content["multipart/form-data"]["schema"]
            assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
            assert [sorted(s["required"]) for s in content["application/json"]["schema"]["oneOf"]] == [
                ["text"],
                ["url"],
            ]
        completions = schema["paths"]["/v1/chat/completions"]["post"]["responses"]
        assert "422" not in completions and "402" not in completions and "429" in completions
        assert set(completions["400"]["content"]) == {"application/json"}
        assert "/v1/models/{model_id}" in schema["paths"]


async def test_restriction_pending_deletion_and_its_cancelling_are_said_in_words(tmp_path):
    from tests.integration.accounts_support import PASSWORD, last_mail_to, link_token

    async with chat_app(tmp_path, None, backend="memory") as chat:
        session_id = await chat.new_session()
        owner = chat.owner.headers()
        send = chat.widget(f"/sessions/{session_id}/messages")
        assert (await chat.client.put("/api/v1/account/privacy/restriction", headers=owner)).status_code == 200
        restricted = problem(
            await chat.client.post(send, headers=chat.headers(), json={"content": "Hi"}), 403, "agent_restricted"
        )
        assert (
            restricted["detail"] == "This assistant is unavailable for now, at its owner's request; "
            "it cannot answer messages."
        )
        assert (await chat.client.delete("/api/v1/account/privacy/restriction", headers=owner)).status_code == 200

        erased = await chat.client.request("DELETE", "/api/v1/account", json={"password": PASSWORD}, headers=owner)
        assert erased.status_code == 202, erased.text
        closing = problem(
            await chat.client.post(send, headers=chat.headers(), json={"content": "Hi"}), 403, "agent_restricted"
        )
        assert closing["detail"] == "This assistant is no longer available: its owner is closing their account."
        config = problem(await chat.client.get(chat.widget("/config"), headers=chat.headers()), 403)
        assert config["detail"] == closing["detail"]

        token = link_token(last_mail_to(chat.app.outbox(), "owner@example.com", "deletion_scheduled"))
        cancelled = await chat.client.post("/api/v1/account/deletion/cancel", json={"token": token})
        assert cancelled.status_code == 200, cancelled.text
        body = cancelled.json()
        assert (body["status"], body["account_status"], body["api_keys_revoked"]) == (
            "deletion_cancelled",
            "active",
            True,
        )
        assert "will not be deleted" in body["detail"] and "API keys stay revoked" in body["detail"]
        assert "deleted" not in body


async def test_idempotent_replays_do_not_count_against_the_visitors_rate_limit(tmp_path):
    from aioomi.domain.model.chat import ChatLimits

    async with chat_app(tmp_path, None, backend="memory", limits=ChatLimits(per_visitor_minute=2)) as chat:
        session_id = await chat.new_session()
        url = chat.widget(f"/sessions/{session_id}/messages")
        first = await chat.client.post(
            url,
            headers=chat.headers(**{"idempotency-key": "send-1"}),
            json={"content": "Return policy?"},
            params={"stream": "false"},
        )
        assert first.status_code == 200, first.text
        for _ in range(3):  # three replays of the stored answer: no model call, not counted
            again = await chat.client.post(
                url,
                headers=chat.headers(**{"idempotency-key": "send-1"}),
                json={"content": "Return policy?"},
                params={"stream": "false"},
            )
            assert again.status_code == 200 and again.json()["message"]["id"] == first.json()["message"]["id"]
        second = await chat.client.post(
            url,
            headers=chat.headers(**{"idempotency-key": "send-2"}),
            json={"content": "Return policy?"},
            params={"stream": "false"},
        )
        assert second.status_code == 200, second.text  # the 2nd counted message of the minute
        third = await chat.client.post(
            url,
            headers=chat.headers(**{"idempotency-key": "send-3"}),
            json={"content": "Return policy?"},
            params={"stream": "false"},
        )
        problem(third, 429, "rate_limited")
        assert len(chat.model.requests) == 2
