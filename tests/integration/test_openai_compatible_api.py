"""The OpenAI-compatible API (``/v1``) as the official ``openai`` SDK sees it: every error in
OpenAI's shape with OpenAI's status, so the SDK raises the class OpenAI's own API would;
unsupported parameters refused by name; agents as models with their names; a multi-turn request
stored whole; a stored conversation continued by its session header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from aioomi.domain.model.errors import RateLimited
from aioomi.entrypoints.http.openai_errors import openai_domain_error
from tests.integration.chat_support import ChatApp, chat_app

QUESTION = [{"role": "user", "content": "Return policy?"}]


@dataclass
class Sdk:
    chat: ChatApp
    sdk: openai.AsyncOpenAI
    http: httpx2.AsyncClient
    secret: str

    @property
    def agent_id(self) -> str:
        return self.chat.agent["id"]


@asynccontextmanager
async def sdk_app(tmp_path: Path, conninfo: str | None, backend: str = "memory") -> AsyncIterator[Sdk]:
    async with chat_app(tmp_path, conninfo, backend=backend) as chat:
        created = await chat.client.post(
            "/api/v1/api-keys",
            json={"name": "sdk", "scopes": ["agents:read", "conversations:write"]},
            headers=chat.owner.headers(),
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        transport = httpx2.ASGITransport(app=chat.client.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            sdk = openai.AsyncOpenAI(base_url="http://127.0.0.1/v1", api_key=secret, http_client=http, max_retries=0)
            yield Sdk(chat=chat, sdk=sdk, http=http, secret=secret)


def openai_shaped(body: dict[str, Any]) -> dict[str, Any]:
    """The body is exactly OpenAI's error envelope; return the inner error."""
    assert body.keys() == {"error"}, body
    assert body["error"].keys() == {"message", "type", "param", "code"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"n": 2}, "n"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"logprobs": True}, "logprobs"),
        ({"stop": ["\n"]}, "stop"),
        ({"modalities": ["text", "audio"]}, "modalities"),
    ],
)
async def test_unsupported_parameters_are_a_400_naming_the_parameter(tmp_path, extra, param):
    async with sdk_app(tmp_path, None) as app:
        with pytest.raises(openai.BadRequestError) as refused:
            await app.sdk.chat.completions.create(model=app.agent_id, messages=QUESTION, **extra)
        assert refused.value.param == param and refused.value.code == "unsupported_parameter"
        assert param in refused.value.message
        assert await app.chat.app.count("chat_messages") == 0  # nothing stored
        # Left at OpenAI's defaults, the same parameters are fine.
        fine = await app.sdk.chat.completions.create(
            model=app.agent_id,
            messages=QUESTION,
            n=1,
            response_format={"type": "text"},
            tool_choice="none",
            temperature=0.2,
            seed=7,
            user="customer-42",
        )
        assert fine.choices[0].message.content == "Within 30 days [1]."


async def test_bad_requests_are_400_with_the_param_never_422(tmp_path):
    async with sdk_app(tmp_path, None) as app:
        cases: list[tuple[dict[str, Any], str | None, str]] = [
            ({"messages": QUESTION, "extra_body": {"foo": 1}}, "foo", "unknown_parameter"),
            ({"messages": [{"role": "user", "content": "x" * 4_001}]}, "messages[0].content", "message_too_long"),
            ({"messages": [{"role": "assistant", "content": "Hello"}]}, "messages[0].role", "invalid_messages"),
            (
                {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}]},
                "messages[0].content[0].type",
                "unsupported_parameter",
            ),
            ({"messages": []}, "messages", "invalid_request"),
        ]
        for arguments, param, code in cases:
            with pytest.raises(openai.BadRequestError) as refused:
                await app.sdk.chat.completions.create(model=app.agent_id, **arguments)
            assert (refused.value.status_code, refused.value.param, refused.value.code) == (400, param, code), arguments
            openai_shaped(refused.value.response.json())
            assert "Expected" not in refused.value.message and "`int`" not in refused.value.message
        # A body that is not JSON: OpenAI's shape and a 400, not an RFC 9457 problem.
        plain = await app.http.post(
            "/v1/chat/completions",
            content=b"hello",
            headers={"authorization": f"Bearer {app.secret}", "content-type": "text/plain"},
        )
        assert plain.status_code == 400 and plain.headers["content-type"].startswith("application/json")
        assert openai_shaped(plain.json())["code"] == "unsupported_media_type"
        broken = await app.http.post(
            "/v1/chat/completions",
            content=b"{not json",
            headers={"authorization": f"Bearer {app.secret}", "content-type": "application/json"},
        )
        assert broken.status_code == 400 and openai_shaped(broken.json())["type"] == "invalid_request_error"


async def test_authentication_and_not_found_errors_are_the_sdks_classes(tmp_path):
    async with sdk_app(tmp_path, None) as app:
        wrong = openai.AsyncOpenAI(
            base_url="http://127.0.0.1/v1", api_key="sk-wrong", http_client=app.http, max_retries=0
        )
        with pytest.raises(openai.AuthenticationError) as denied:
            await wrong.chat.completions.create(model=app.agent_id, messages=QUESTION)
        assert denied.value.status_code == 401
        openai_shaped(denied.value.response.json())
        with pytest.raises(openai.NotFoundError) as missing:
            await app.sdk.chat.completions.create(model="agt_nope", messages=QUESTION)
        assert missing.value.code == "model_not_found" and missing.value.param is None
        with pytest.raises(openai.NotFoundError) as missing_model:
            await app.sdk.models.retrieve("agt_nope")
        assert missing_model.value.code == "model_not_found"
        unknown = await app.http.post(
            "/v1/embeddings", json={"model": "x", "input": "y"}, headers={"authorization": f"Bearer {app.secret}"}
        )
        assert unknown.status_code == 404 and openai_shaped(unknown.json())["code"] == "unknown_url"


async def test_a_used_up_cap_is_a_429_insufficient_quota(tmp_path):
    async with sdk_app(tmp_path, None) as app:
        capped = await app.chat.client.put(
            f"/api/v1/billing/agents/{app.agent_id}/token-cap",
            json={"monthly_tokens": 0},
            headers=app.chat.owner.headers(),
        )
        assert capped.status_code == 200, capped.text
        with pytest.raises(openai.RateLimitError) as refused:
            await app.sdk.chat.completions.create(model=app.agent_id, messages=QUESTION)
        assert refused.value.status_code == 429 and refused.value.code == "insufficient_quota"
        assert openai_shaped(refused.value.response.json())["type"] == "insufficient_quota"


def test_a_rate_limit_is_a_429_rate_limit_exceeded_with_retry_after():
    response = openai_domain_error(None, RateLimited("Too many messages.", retry_after_s=12))  # type: ignore[arg-type]
    assert response.status_code == 429 and response.headers["Retry-After"] == "12"
    assert (response.content.error.code, response.content.error.type) == ("rate_limit_exceeded", "requests")


async def test_models_carry_the_agents_names_and_one_can_be_read(tmp_path):
    async with sdk_app(tmp_path, None) as app:
        models = await app.sdk.models.list()
        assert [(m.id, m.model_extra["name"]) for m in models.data] == [(app.agent_id, "Shop helper")]
        one = await app.sdk.models.retrieve(app.agent_id)
        assert (one.id, one.object, one.model_extra["name"]) == (app.agent_id, "model", "Shop helper")


async def test_a_multi_turn_request_is_stored_whole_and_continued_by_its_session_header(pg_conninfo, tmp_path):
    async with sdk_app(tmp_path, pg_conninfo, backend="postgres") as app:
        raw = await app.sdk.chat.completions.with_raw_response.create(
            model=app.agent_id,
            messages=[
                {"role": "system", "content": "Ignored: the agent's prompt governs."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello! How can I help?"},
                {"role": "user", "content": "Return policy?"},
            ],
        )
        session_id = raw.headers["x-aioomi-session-id"]
        assert raw.parse().model_extra["session_id"] == session_id
        owner = app.chat.owner.headers()
        stored = (await app.chat.client.get(f"/api/v1/chat-sessions/{session_id}", headers=owner)).json()
        assert [(m["role"], m["content"]) for m in stored["messages"]] == [
            ("user", "Hi"),
            ("assistant", "Hello! How can I help?"),
            ("user", "Return policy?"),
            ("assistant", "Within 30 days [1]."),
        ]

        again = await app.sdk.chat.completions.create(
            model=app.agent_id,
            messages=[{"role": "user", "content": "And for sale items?"}],
            extra_headers={"X-Aioomi-Session-Id": session_id},
        )
        assert again.model_extra["session_id"] == session_id
        sent = [m.content for m in app.chat.model.requests[-1].messages[1:]]
        assert sent == ["Hi", "Hello! How can I help?", "Return policy?", "Within 30 days [1].", "And for sale items?"]
        stored = (await app.chat.client.get(f"/api/v1/chat-sessions/{session_id}", headers=owner)).json()
        assert len(stored["messages"]) == 6
        assert await app.chat.app.count("chat_sessions") == 1

        with pytest.raises(openai.NotFoundError) as unknown:
            await app.sdk.chat.completions.create(
                model=app.agent_id, messages=QUESTION, extra_headers={"X-Aioomi-Session-Id": "ses_nope"}
            )
        assert unknown.value.code == "session_not_found"


async def test_a_streamed_answer_carries_its_citations_on_the_finishing_chunk(tmp_path):
    async with sdk_app(tmp_path, None) as app:
        whole = await app.sdk.chat.completions.create(model=app.agent_id, messages=QUESTION)
        raw = await app.sdk.chat.completions.with_raw_response.create(
            model=app.agent_id, messages=QUESTION, stream=True
        )
        session = raw.headers["x-aioomi-session-id"]
        chunks = [chunk async for chunk in raw.parse()]
        finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
        assert len(finishing) == 1 and finishing[0] is chunks[-1]
        extra = finishing[0].model_extra or {}
        # The one passage the fake search finds for "Return policy?" is the returns policy, cited as [1].
        assert [(c["number"], c["document_title"], c["document_id"]) for c in extra["citations"]] == [
            (1, "Returns policy", "doc_returns")
        ]
        assert extra["citations"] == (whole.model_extra or {})["citations"]  # as the non-streaming answer
        assert extra["session_id"] == session
        # Only the finishing chunk carries them.
        assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])

        # Nothing found (a grounded agent falls back): the finishing chunk says so with no citation.
        stream = await app.sdk.chat.completions.create(
            model=app.agent_id, messages=[{"role": "user", "content": "Weather tomorrow?"}], stream=True
        )
        last = [chunk async for chunk in stream][-1]
        assert last.choices[0].finish_reason == "stop" and (last.model_extra or {})["citations"] == []
