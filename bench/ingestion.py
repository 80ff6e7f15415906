"""Ingestion throughput and embedding requests: a 1,000-chunk document through the real
pipeline (the worker's IngestDocument job: blob → extract → chunk → embed → one-transaction
write into the Postgres chunk store), with a zero-latency embedder, so what is measured is
Aioomi's own cost per chunk.

Baseline in the same run: the floor of the same work without the pipeline around it
(chunking the text and writing the embedded chunks straight into the chunk store).
Embedding requests are compared with the fewest the OpenAI API limits allow (2,048 inputs and
300,000 tokens per request).

    .venv/bin/python bench/ingestion.py [--chunks 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import embedded_database, say
from dependency_injector import providers
from testkit.builders import account

from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog
from aioomi.container import container_on_postgres, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.documents import (
    EMBEDDING_BATCH_INPUTS,
    EMBEDDING_BATCH_TOKENS,
    DocumentLimits,
    DocumentSource,
    DocumentUpload,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import DocumentKind, EmbeddedChunk, ExtractedText
from aioomi.entrypoints.worker.jobs import build_worker
from aioomi.settings import Settings

DIMENSIONS = 1536


class InstantEmbedder:
    """No network: a distinct unit vector per text (seeded by the text, so the same text gets the
    same vector), so the HNSW index takes realistic inserts rather than one point repeated;
    counts requests (calls) and inputs."""

    def __init__(self, model: str = "text-embedding-3-small", dimensions: int = DIMENSIONS) -> None:
        self.model = model
        self.dimensions = dimensions
        self.requests: list[int] = []

    def _vector(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        vector = np.random.default_rng(seed).standard_normal(self.dimensions)
        return (vector / np.linalg.norm(vector)).tolist()

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.requests.append(len(texts))
        return [self._vector(text) for text in texts]


def document_text(chunks: int, run: int) -> str:
    """Markdown whose sections are one chunk each (about 280 tokens under its heading)."""
    sections = []
    for i in range(chunks):
        body = " ".join(
            f"Run {run} section {i} sentence {j} describes procedure step {j} for unit {i}." for j in range(22)
        )
        sections.append(f"# Section {i}\n\n{body}\n")
    return "\n".join(sections)


async def main(chunk_target: int, runs: int, model: str, dimensions: int) -> dict[str, float]:
    embedder = InstantEmbedder(model, dimensions)
    async with embedded_database() as (_, conninfo):
        folder = Path(tempfile.mkdtemp(prefix="aioomi-bench-ingest-"))
        settings = Settings(
            data_dir=str(folder),
            log_level="warning",
            log_format="console",
            document_max_chars=50_000_000,
            agent_max_chars=100_000_000,
        )
        container = container_on_postgres(settings=settings, conninfo=conninfo)
        container.embedders.override(providers.Object(StaticEmbedderCatalog([embedder])))
        container.embedding_model.override(providers.Object(embedder.model))
        container.document_limits.override(
            providers.Object(
                DocumentLimits(max_file_bytes=200_000_000, max_document_chars=50_000_000, max_agent_chars=100_000_000)
            )
        )
        await start(container)
        try:
            account_id = new_id("acct")
            async with container.uow()(account_id=None) as uow:
                await uow.accounts.add(account(account_id=account_id))
                await uow.commit()
            principal = Principal.own(account_id=account_id)
            chunker, store = container.chunker(), container.chunk_store()
            worker = build_worker(container)
            await worker.run_until_idle()  # periodic sweeps out of the way
            pipeline_s, floor_s, requests, floors, counts = [], [], [], [], []
            for run in range(runs):
                text = document_text(chunk_target, run)
                agent = await container.create_agent()(principal, AgentSettings(name=f"Bench {run}"))
                before = len(embedder.requests)
                started = time.perf_counter()
                document, _ = await container.add_document()(
                    principal,
                    agent.id,
                    DocumentUpload(
                        data=text.encode(),
                        title="Bench",
                        filename="bench.md",
                        content_type="text/markdown",
                        source=DocumentSource.TEXT,
                    ),
                )
                await worker.run_until_idle()
                pipeline_s.append(time.perf_counter() - started)
                done = await container.get_document()(principal, agent.id, document.id)
                assert done.status == "ready", done.error
                counts.append(done.chunk_count)
                used = embedder.requests[before:]
                requests.append(len(used))

                # The floor: the same chunking and the same one-transaction write, nothing else.
                floor_agent = await container.create_agent()(principal, AgentSettings(name=f"Floor {run}"))
                started = time.perf_counter()
                chunks = chunker.chunk(ExtractedText(kind=DocumentKind.MARKDOWN, text=text))
                vectors = await embedder.embed([c.text for c in chunks])
                await store.replace_document(
                    account_id=account_id,
                    agent_id=floor_agent.id,
                    document_id="floor",
                    embedding_model=embedder.model,
                    chunks=[EmbeddedChunk(chunk=c, embedding=v) for c, v in zip(chunks, vectors, strict=True)],
                )
                floor_s.append(time.perf_counter() - started)
                tokens = sum(c.token_count for c in chunks)
                floors.append(
                    max(math.ceil(len(chunks) / EMBEDDING_BATCH_INPUTS), math.ceil(tokens / EMBEDDING_BATCH_TOKENS))
                )
                say(
                    f"run {run + 1}/{runs}: {done.chunk_count} chunks ({tokens:,} tokens) in {pipeline_s[-1]:.2f} s "
                    f"through the worker, floor {floor_s[-1]:.2f} s; {len(used)} embedding requests "
                    f"(fewest possible {floors[-1]}: sizes {used})"
                )
        finally:
            await stop(container)
    pipeline, floor = statistics.median(pipeline_s), statistics.median(floor_s)
    chunks = statistics.median(counts)
    return {
        "model": embedder.model,
        "chunks": chunks,
        "chunks_per_s_per_worker": round(chunks / pipeline, 1),
        "floor_chunks_per_s": round(chunks / floor, 1),
        "ratio": round(pipeline / floor, 2),
        "embedding_requests": max(requests),
        "min_embedding_requests": max(floors),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--model",
        default="text-embedding-3-small",
        help="the model name decides whether the chunk store maintains an HNSW index for it",
    )
    parser.add_argument("--dimensions", type=int, default=DIMENSIONS)
    args = parser.parse_args()
    say(f"ingesting a {args.chunks}-chunk document {args.runs} times with a zero-latency embedder")
    figures = asyncio.run(main(args.chunks, args.runs, args.model, args.dimensions))
    say("target: >= 250 chunks/s per worker and the fewest requests the API allows")
    print(json.dumps(figures))
