"""The owner's analytics over HTTP on Postgres: the JSON report after real chat turns, the CSV
export (formula-safe), API-key scopes, two accounts, problems."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from aioomi.domain.model.chat import Passage
from tests.integration.accounts_support import problem, sign_up_and_verify
from tests.integration.chat_support import chat_app, read_sse

EVIL = Passage(
    document_id="doc_evil",
    document_title='=HYPERLINK("http://evil.example","Parcels")',
    position=0,
    text="Parcels travel by post within 5 days.",
)


async def test_the_owner_reads_and_exports_analytics_and_another_account_sees_none(pg_conninfo, tmp_path) -> None:
    async with chat_app(tmp_path, pg_conninfo, answer_mode="grounded") as chat:
        client, owner = chat.client, chat.owner.headers()
        chat.search.passages.append(EVIL)
        answers = {}
        for question in ("How many days to return an item?", "Shipping abroad to Norway?", "How do parcels travel?"):
            session_id = await chat.new_session()
            response = await client.post(
                chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": question}
            )
            answers[question] = (session_id, dict(read_sse(response.text))["done"]["message_id"])
        session_id, answer_id = answers["Shipping abroad to Norway?"]
        voted = await client.post(
            chat.widget(f"/sessions/{session_id}/messages/{answer_id}/feedback"),
            headers=chat.headers(),
            json={"rating": "down"},
        )
        assert voted.status_code == 200, voted.text
        today = datetime.now(UTC).date()  # a three-day range around it, so midnight cannot split the turns out
        span = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}

        report = (await client.get("/api/v1/analytics", headers=owner, params=span)).json()
        assert len(report["days"]) == 3
        totals = report["totals"]
        assert (totals["conversations"], totals["messages"], totals["answered"], totals["unanswered"]) == (3, 6, 2, 1)
        assert (totals["thumbs_up"], totals["thumbs_down"], totals["curated_hits"]) == (0, 1, 0)
        assert report["answered_rate"] == round(2 / 3, 4)
        assert report["thumbs_up_ratio"] == 0.0
        assert [(d["document_id"], d["answers"]) for d in report["top_documents"]] == [
            ("doc_evil", 1),
            ("doc_returns", 1),
        ]
        mine = (
            await client.get("/api/v1/analytics", headers=owner, params=span | {"agent_id": chat.agent["id"]})
        ).json()
        assert mine["totals"] == totals

        page = await client.get("/dashboard/analytics", headers=owner, params=span)
        assert page.status_code == 200, page.text[:300]
        assert '<dd id="total-conversations">3</dd>' in page.text
        assert "66.7% (2 answered, 1 unanswered)" in page.text
        assert "<td>Returns policy</td><td>1</td>" in page.text
        assert f'href="/api/v1/analytics/export?from={span["from"]}&amp;to={span["to"]}"' in page.text

        exported = await client.get("/api/v1/analytics/export", headers=owner, params=span)
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [r["day"] for r in rows] == [span["from"], str(today), span["to"]]
        assert sum(int(r["messages"]) for r in rows) == 6
        documents = await client.get("/api/v1/analytics/export", headers=owner, params=span | {"table": "documents"})
        [evil, _] = list(csv.DictReader(io.StringIO(documents.text)))
        assert evil["title"] == "'" + EVIL.document_title, "a formula is defused"

        key = await client.post("/api/v1/api-keys", json={"name": "k", "scopes": ["conversations:read"]}, headers=owner)
        wrong = await client.post("/api/v1/api-keys", json={"name": "w", "scopes": ["agents:read"]}, headers=owner)
        by_key = await client.get(
            "/api/v1/analytics", headers={"authorization": f"Bearer {key.json()['secret']}"}, params=span
        )
        assert by_key.json()["totals"] == totals
        problem(
            await client.get("/api/v1/analytics", headers={"authorization": f"Bearer {wrong.json()['secret']}"}),
            403,
            "insufficient_scope",
        )

        other = (await sign_up_and_verify(chat.app, "other@example.com")).headers()
        theirs = (await client.get("/api/v1/analytics", headers=other, params=span)).json()
        assert (theirs["totals"]["messages"], theirs["top_documents"]) == (0, [])
        problem(
            await client.get("/api/v1/analytics", headers=other, params={"agent_id": chat.agent["id"]}),
            404,
            "agent_not_found",
        )
        for params in (
            {"from": "2026-05-02", "to": "2026-05-01"},
            {"from": "2024-01-01", "to": "2025-01-01"},
            {"from": "soon"},
        ):
            problem(await client.get("/api/v1/analytics", headers=owner, params=params), 422, "invalid_date_range")
        problem(
            await client.get("/api/v1/analytics/export", headers=owner, params={"table": "x"}),
            422,
            "invalid_analytics_table",
        )
