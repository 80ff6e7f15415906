"""OpenAIChatModel through the official SDK against the fake OpenAI server, and the app's
OpenAI-compatible API with the official SDK as the client."""

from __future__ import annotations

import httpx2
import openai
import pytest

from aioomi.adapters.openai.chat_model import OpenAIChatModel
from aioomi.domain.model.chat import (
    ChatModelRejected,
    ChatModelUnavailable,
    ChatRequest,
    ChatStreamInterrupted,
    PromptMessage,
    Role,
)
from aioomi.ports.chat_model import complete
from tests.integration.chat_support import chat_app

REQUEST = ChatRequest(
    model="gpt-4o",
    messages=(PromptMessage(role=Role.SYSTEM, content="Be brief."), PromptMessage(role=Role.USER, content="Hello?")),
)


def model(fake_openai, **options) -> OpenAIChatModel:
    return OpenAIChatModel(api_key="sk-test", base_url=fake_openai.base_url, backoff_s=0.01, **options)


async def test_streams_deltas_and_the_usage_chunk(fake_openai):
    fake_openai.fake.script_chat(reply="Hi there, friend.")
    chunks = [c async for c in model(fake_openai).stream(REQUEST)]
    assert "".join(c.text for c in chunks) == "Hi there, friend."
    usage = chunks[-1].usage
    assert usage is not None and not usage.estimated and usage.completion_tokens > 0
    [call] = fake_openai.fake.calls("/v1/chat/completions")
    assert call.body["stream"] is True and call.body["stream_options"] == {"include_usage": True}
    assert call.body["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_retries_429_and_500_before_the_first_token(fake_openai):
    fake_openai.fake.fail_next(1, status=429, retry_after="0")
    fake_openai.fake.fail_next(1, status=500)
    text, usage = await complete(model(fake_openai), REQUEST)
    assert text == "This answer comes from the fake model." and usage.prompt_tokens > 0
    assert [c.answered for c in fake_openai.fake.calls("/v1/chat/completions")] == [429, 500, 200]


async def test_gives_up_as_unavailable_and_refusals_are_not_retried(fake_openai):
    fake_openai.fake.fail_next(3, status=503)
    with pytest.raises(ChatModelUnavailable):
        await complete(model(fake_openai, max_retries=2), REQUEST)
    fake_openai.fake.reset()
    fake_openai.fake.fail_next(1, status=401)
    with pytest.raises(ChatModelRejected):
        await complete(model(fake_openai), REQUEST)
    assert len(fake_openai.fake.calls("/v1/chat/completions")) == 1


async def test_a_stream_cut_midway_is_interrupted_not_retried(fake_openai):
    fake_openai.fake.script_chat(reply="one two three four", cut_after=2)
    seen = []
    with pytest.raises(ChatStreamInterrupted):
        async for chunk in model(fake_openai).stream(REQUEST):
            seen.append(chunk.text)
    assert "".join(seen) == "one two" and len(fake_openai.fake.calls("/v1/chat/completions")) == 1


async def test_a_slow_first_token_times_out_and_is_retried(fake_openai):
    fake_openai.fake.script_chat(reply="late", first_token_delay_s=1.0)
    with pytest.raises(ChatModelUnavailable):
        await complete(model(fake_openai, first_token_timeout_s=0.2, max_retries=1), REQUEST)
    assert len(fake_openai.fake.calls("/v1/chat/completions")) == 2


async def test_usage_is_estimated_when_the_usage_chunk_never_comes(fake_openai):
    fake_openai.fake.script_chat(reply="No usage here.", send_usage=False)
    text, usage = await complete(model(fake_openai), REQUEST)
    assert text == "No usage here." and usage.estimated and usage.completion_tokens == 4 and usage.prompt_tokens > 0


async def test_the_openai_compatible_api_with_the_official_sdk(pg_conninfo, tmp_path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
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
            models = await sdk.models.list()
            assert [m.id for m in models.data] == [chat.agent["id"]]

            completion = await sdk.chat.completions.create(
                model=chat.agent["id"], messages=[{"role": "user", "content": "Return policy?"}]
            )
            assert completion.choices[0].message.content == "Within 30 days [1]."
            assert completion.usage.prompt_tokens > 0 and completion.object == "chat.completion"

            stream = await sdk.chat.completions.create(
                model=chat.agent["id"],
                stream=True,
                stream_options={"include_usage": True},
                messages=[
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello!"},
                    {"role": "user", "content": "Return policy?"},
                ],
            )
            texts, usage = [], None
            async for chunk in stream:
                if chunk.usage is not None:
                    assert chunk.choices == []
                    usage = chunk.usage
                texts += [c.delta.content or "" for c in chunk.choices]
            assert "".join(texts) == "Within 30 days [1]." and usage.completion_tokens > 0
            assert [m.content for m in chat.model.requests[-1].messages[1:]] == ["Hi", "Hello!", "Return policy?"]

            with pytest.raises(openai.NotFoundError) as missing:
                await sdk.chat.completions.create(model="agt_nope", messages=[{"role": "user", "content": "x"}])
            assert missing.value.code == "model_not_found"
        bad = openai.AsyncOpenAI(
            base_url="http://127.0.0.1/v1",
            api_key="wrong",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1"),
        )
        with pytest.raises(openai.AuthenticationError):
            await bad.models.list()
        assert await chat.app.count("chat_sessions") == 2  # one per completion through the API
