"""SSE answers are sent as they come: never through the gzip compressor, even when the client
accepts gzip (each token would be compressed and flushed on its own)."""

from __future__ import annotations

from tests.integration.chat_support import chat_app, read_sse


async def test_an_sse_answer_is_not_compressed_even_when_gzip_is_accepted(tmp_path):
    long_answer = " ".join(["Within thirty days of delivery you may return it."] * 60)  # well over 1 KiB
    async with chat_app(tmp_path, None, backend="memory") as chat:
        chat.model.reply = lambda request: long_answer
        session_id = await chat.new_session()
        response = await chat.client.post(
            chat.widget(f"/sessions/{session_id}/messages"),
            headers=chat.headers(**{"accept-encoding": "gzip"}),
            json={"content": "Can I return an item?"},
        )
        assert response.status_code == 200, response.text
        assert response.headers.get("content-encoding", "identity") == "identity"
        events = read_sse(response.text)
        assert "".join(d["text"] for name, d in events if name == "token") == long_answer
        # ordinary JSON responses are still compressed
        listed = await chat.client.get(chat.widget("/sessions"), headers=chat.headers(**{"accept-encoding": "gzip"}))
        assert listed.status_code == 200
