"""The widget's server side: a refused origin is answered with CORS (so the widget can say which
origin to add, with the near misses), recorded for the owner's embed card and page, and allowed
in one step; the locale setting reaches the widget; HEAD /widget.js works."""

from __future__ import annotations

import pytest

from tests.integration.accounts_support import problem
from tests.integration.chat_support import ORIGIN, VISITOR, chat_app


@pytest.mark.parametrize("backend", ["memory", "postgres"])
async def test_a_refused_origin_is_readable_by_the_widget_recorded_and_allowed_in_one_step(
    tmp_path, backend, pg_conninfo
):
    async with chat_app(tmp_path, pg_conninfo if backend == "postgres" else None, backend=backend) as chat:
        near = "https://www.shop.example.com"
        refused = await chat.client.get(chat.widget("/config"), headers={"origin": near})
        body = problem(refused, 403, "origin_not_allowed")
        assert refused.headers["access-control-allow-origin"] == near  # the widget can read why
        assert near in body["detail"] and f'{ORIGIN} differs only in the "www."' in body["detail"]
        await chat.client.get(chat.widget("/config"), headers={"origin": "http://localhost:3000"})
        await chat.client.get(chat.widget("/config"), headers={"origin": near})
        await chat.client.get(chat.widget("/config"), headers={"origin": "not an origin"})  # not recorded

        embed = (await chat.client.get(f"/api/v1/agents/{chat.agent['id']}/embed", headers=chat.owner.headers())).json()
        assert [(r["origin"], r["hits"]) for r in embed["refused_origins"]] == [(near, 2), ("http://localhost:3000", 1)]
        assert any(near in warning for warning in embed["warnings"])
        assert {"data-locale", "data-z-index"} <= embed["options"].keys()
        page = (await chat.client.get(f"/dashboard/agents/{chat.agent['id']}")).text
        assert "Pages the widget was refused on" in page and f"Allow {near}" in page

        allowed = await chat.client.patch(
            f"/api/v1/agents/{chat.agent['id']}", headers=chat.owner.headers(), json={"allowed_origins": [ORIGIN, near]}
        )
        assert allowed.status_code == 200, allowed.text
        assert (await chat.client.get(chat.widget("/config"), headers={"origin": near})).status_code == 200
        embed = (await chat.client.get(f"/api/v1/agents/{chat.agent['id']}/embed", headers=chat.owner.headers())).json()
        assert [r["origin"] for r in embed["refused_origins"]] == ["http://localhost:3000"]


async def test_the_widget_config_carries_the_locale_and_head_widget_js_answers(tmp_path):
    async with chat_app(tmp_path, None, backend="memory", widget={"locale": "ar"}) as chat:
        config = (
            await chat.client.get(chat.widget("/config"), headers={"origin": ORIGIN, "x-visitor-id": VISITOR})
        ).json()
        assert config["style"]["locale"] == "ar"
        assert config["greeting"] == "Hi! Ask me anything."  # the owner's own text, as written
        bad = problem(
            await chat.client.patch(
                f"/api/v1/agents/{chat.agent['id']}", headers=chat.owner.headers(), json={"widget": {"locale": "xx"}}
            ),
            422,
        )
        assert bad["errors"][0]["field"] == "widget.locale"
        head = await chat.client.head("/widget.js")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == (await chat.client.get("/widget.js")).headers["etag"]


async def test_the_locale_can_be_changed_alone(tmp_path):
    async with chat_app(tmp_path, None, backend="memory") as chat:
        changed = await chat.client.patch(
            f"/api/v1/agents/{chat.agent['id']}", headers=chat.owner.headers(), json={"widget": {"locale": "de"}}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["widget"]["locale"] == "de" and changed.json()["widget"]["position"] == "right"
