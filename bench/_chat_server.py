"""The app served by uvicorn in a process of its own, for the chat benchmarks (the load
clients run in another process, so they never share the server's event loop or CPU time
slices). Access log off, app log at warning, as ``AIOOMI_LOG_LEVEL=warning`` would set.

    python bench/_chat_server.py memory  --token-interval 0.0125 --tokens 40
    python bench/_chat_server.py postgres --conninfo ... --embedding-model M --dimensions N

Prints one line ``READY <port> <public_key or ->`` when it serves, then runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec
import uvicorn
from dependency_injector import providers

from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog
from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.container import container_in_memory, container_on_postgres, start, stop
from aioomi.domain.model.billing import PlanCatalog
from aioomi.domain.model.chat import ChatLimits, Passage
from aioomi.entrypoints.http.app import create_app
from aioomi.entrypoints.logging_setup import configure_logging
from aioomi.settings import Settings

ORIGIN = "https://shop.example.com"
NO_LIMITS = ChatLimits(
    per_visitor_minute=10**9,
    per_visitor_day=10**9,
    per_ip_minute=10**9,
    per_ip_day=10**9,
    per_agent_day=10**9,
    new_sessions_per_visitor_minute=10**9,
    new_sessions_per_visitor_day=10**9,
    new_sessions_per_ip_minute=10**9,
    new_sessions_per_ip_day=10**9,
)


class ZeroLatencyEmbedder:
    """:class:`aioomi.ports.embedder.Embedder` that answers at once with a fixed unit vector."""

    def __init__(self, model: str, dimensions: int) -> None:
        self.model = model
        self.dimensions = dimensions
        self._vector = [1.0 / dimensions**0.5] * dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector for _ in texts]

    async def aclose(self) -> None:
        return None


class NamedEmbedder:
    """An embedder listed under the knowledge base's model name (the fake OpenAI knows only
    OpenAI's models; the bench's base was embedded under another name)."""

    def __init__(self, model: str, embedder: Any) -> None:
        self.model = model
        self.dimensions = embedder.dimensions
        self._embedder = embedder

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._embedder.embed(texts)

    async def close(self) -> None:
        await self._embedder.close()


async def serve(args: argparse.Namespace) -> None:
    configure_logging("warning")
    folder = tempfile.mkdtemp(prefix="aioomi-bench-server-")
    words = " ".join(f"t{i}" for i in range(args.tokens))
    model = ScriptedChatModel(reply=lambda request: words, token_interval_s=args.token_interval)
    key = "-"
    if args.backend == "memory":
        container = container_in_memory(settings=Settings(data_dir=folder, log_level="warning"))
    else:
        container = container_on_postgres(
            settings=Settings(data_dir=folder, log_level="warning", db_pool_min=args.pool, db_pool_max=args.pool),
            conninfo=args.conninfo,
        )
        embedder = ZeroLatencyEmbedder(args.embedding_model, args.dimensions)
        if args.openai_base_url:
            # The real OpenAI adapters (SDK, HTTP client, decoding) against a fake on loopback.
            from aioomi.adapters.openai.chat_model import OpenAIChatModel
            from aioomi.adapters.openai.embedder import OpenAIEmbedder

            embedder = NamedEmbedder(
                args.embedding_model,
                OpenAIEmbedder(  # type: ignore[assignment]
                    api_key="sk-bench",
                    base_url=args.openai_base_url,
                    model="text-embedding-3-small",
                    dimensions=args.dimensions,
                ),
            )
            model = OpenAIChatModel(api_key="sk-bench", base_url=args.openai_base_url)  # type: ignore[assignment]
        container.embedders.override(providers.Object(StaticEmbedderCatalog([embedder])))
        container.embedding_model.override(providers.Object(embedder.model))
    container.chat_model.override(providers.Object(model))
    container.chat_limits.override(providers.Object(NO_LIMITS))
    # The free plan allows 100 messages a month: a plan the load cannot use up (the check stays).
    config = container.billing_config()
    roomy = msgspec.structs.replace(config.catalog.free, monthly_messages=10**9, monthly_tokens=10**12)
    container.billing_config.override(
        providers.Object(msgspec.structs.replace(config, catalog=PlanCatalog(plans=(roomy,))))
    )
    if args.backend == "memory":
        from testkit.builders import ListSearch

        container.passage_search.override(
            providers.Object(
                ListSearch(
                    [Passage(document_id="doc_1", document_title="Returns", position=0, text="return policy: 30 days")]
                )
            )
        )
    await start(container)
    if args.backend == "memory":
        from testkit.builders import account, agent_for, store

        owner = account()
        agent = agent_for(owner, allowed_origins=(ORIGIN,))
        await store(container, owner, agent)
        key = agent.public_key
    app = create_app(container, manage_lifecycle=False)
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
    # with socket.socket()'s proto 0, each keep-alive response waited ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, args.proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", backlog=4096, timeout_keep_alive=60)
    )
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: setattr(server, "should_exit", True))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    print(f"READY {port} {key}", flush=True)
    await task
    await stop(container)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backend", choices=["memory", "postgres"])
    parser.add_argument("--conninfo")
    parser.add_argument("--embedding-model", default="wordllama-l2-supercat-256")
    parser.add_argument("--dimensions", type=int, default=256)
    parser.add_argument("--tokens", type=int, default=40)
    parser.add_argument("--token-interval", type=float, default=0.0)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--openai-base-url", help="the OpenAI adapters against this (fake) server")
    parser.add_argument("--proto", type=int, default=socket.IPPROTO_TCP, help="0 to leave Nagle on (for comparison)")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
