"""Answerability on SciFact (dev): does a grounded agent answer what its documents answer, fall
back on what they don't, and cite the right document? Through the real Postgres store, the
offline WordLlama embedder, SearchKnowledge's relevance gate and AnswerChat with the offline
(extractive) responder, on the product's defaults (min_relevance 0.5, max_citations 3).

Run: .venv/bin/python bench/answerability.py   (several minutes on 2 cores)
With a reranker: AIOOMI_RERANK_URL=… [AIOOMI_RERANK_MODEL=… AIOOMI_RERANK_API_KEY=… AIOOMI_RERANK_GATE=…] before it.

The judged queries are split in two with a fixed seed; every document relevant to the first
half is left out of the knowledge base (those queries become unanswerable); the second half
stays answerable (a query whose relevant documents were all left out is dropped). 100
general-knowledge questions of our own (bench/data/general_questions.txt: sport, geography,
cooking, celebrities, arithmetic, everyday life) are asked too: a scientific corpus cannot
answer them. Baseline in the same run: the same turns with the gate off (min_relevance 0), the
behaviour before the gate. A sweep of the gate shows the trade-off the default was chosen on.

Targets: general questions fall back >= 0.95; unanswerable fall back >= 0.60; answerable
answered >= 0.90 with a relevant document cited >= 0.80; mean citations <= 3; no model call for
a fallback.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from dependency_injector import providers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import embedded_database, say

from aioomi.adapters.local.extractive_responder import ExtractiveResponder
from aioomi.adapters.local.markdown_chunker import MarkdownChunker
from aioomi.adapters.local.wordllama_embedder import WordLlamaEmbedder
from aioomi.container import container_on_postgres, start, stop
from aioomi.domain.model.accounts import Account, AccountStatus, Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.billing import PlanCatalog
from aioomi.domain.model.chat import MessageStatus
from aioomi.domain.model.documents import Document, DocumentSource, DocumentStatus, chunk_key
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import (
    DEFAULT_MIN_RELEVANCE,
    DocumentKind,
    EmbeddedChunk,
    ExtractedText,
    titled,
)
from aioomi.domain.usecases.answer_chat import ChatCaller
from aioomi.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-dev"
if not DATA.exists():
    DATA = Path("/work/shared/data/scifact-dev")
GENERAL = Path(__file__).resolve().parent / "data" / "general_questions.txt"
SEED = 14
VISITOR = "bench-visitor-0123456789"
SWEEP = [0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7]


class CountingResponder(ExtractiveResponder):
    """The offline responder, counting its calls (a fallback must make none)."""

    calls = 0

    async def stream(self, request):
        CountingResponder.calls += 1
        async for chunk in super().stream(request):
            yield chunk


def load():
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open()]
    queries = {q["_id"] if "_id" in q else q["id"]: q["text"] for q in map(json.loads, (DATA / "queries.jsonl").open())}
    qrels: dict[str, set[str]] = {}
    for line in list((DATA / "qrels.tsv").open())[1:]:
        qid, did, _ = line.rstrip("\n").split("\t")
        qrels.setdefault(qid, set()).add(did)
    general = [line.strip() for line in GENERAL.open() if line.strip() and not line.startswith("#")]
    return corpus, {q: t for q, t in queries.items() if q in qrels}, qrels, general


async def main() -> None:
    corpus, queries, qrels, general = load()
    qids = sorted(queries)
    random.Random(SEED).shuffle(qids)
    unanswerable = qids[: len(qids) // 2]
    removed = {d for q in unanswerable for d in qrels[q]}
    kept_docs = [d for d in corpus if str(d.get("_id", d.get("id"))) not in removed]
    kept_ids = {str(d.get("_id", d.get("id"))) for d in kept_docs}
    answerable = [q for q in qids[len(qids) // 2 :] if qrels[q] & kept_ids]
    say(
        f"SciFact dev: {len(corpus)} documents, {len(kept_docs)} kept; {len(unanswerable)} unanswerable, "
        f"{len(answerable)} answerable ({len(qids) - len(qids) // 2 - len(answerable)} dropped), "
        f"{len(general)} general questions"
    )

    chunker, embedder = MarkdownChunker(), WordLlamaEmbedder()
    started = time.perf_counter()
    docs = []
    text_of = {str(d.get("_id", d.get("id"))): d["text"] for d in kept_docs}
    for d in kept_docs:
        chunks = titled(chunker.chunk(ExtractedText(kind=DocumentKind.TEXT, text=d["text"])), d["title"])
        docs.append((str(d.get("_id", d.get("id"))), d["title"], chunks))
    vectors = iter(embedder.embed_now([c.embedding_text() for _, _, cs in docs for c in cs]))
    say(f"chunked and embedded {sum(len(c) for _, _, c in docs)} chunks in {time.perf_counter() - started:.1f}s")

    async with embedded_database() as (_, conninfo):
        # With AIOOMI_RERANK_URL (and _MODEL, _API_KEY, _GATE) set, the turns go through that
        # reranker and the gate reads its scores: the path a deployment with a cross-encoder takes.
        settings = Settings(
            data_dir=f"/tmp/aioomi-bench-answerability-{os.getpid()}",
            log_format="console",
            rerank_url=os.environ.get("AIOOMI_RERANK_URL") or None,
            rerank_model=os.environ.get("AIOOMI_RERANK_MODEL") or None,
            rerank_api_key=os.environ.get("AIOOMI_RERANK_API_KEY") or None,
            rerank_gate=float(os.environ.get("AIOOMI_RERANK_GATE") or 0.5),
        )
        if settings.rerank_url:
            say(f"reranker: {settings.rerank_url} (gate {settings.rerank_gate})")
        container = container_on_postgres(settings=settings, conninfo=conninfo)
        responder = CountingResponder()
        container.chat_model.override(providers.Object(responder))
        # The free plan allows 100 messages a month: a plan the bench cannot use up (the check stays).
        config = container.billing_config()
        roomy = msgspec.structs.replace(config.catalog.free, monthly_messages=10**9, monthly_tokens=10**12)
        container.billing_config.override(
            providers.Object(msgspec.structs.replace(config, catalog=PlanCatalog(plans=(roomy,))))
        )
        await start(container)
        try:
            now = datetime.now(UTC)
            owner = Account(
                id=new_id("acct"),
                email="bench@example.com",
                full_name="Bench",
                password_hash="x",
                google_subject=None,
                email_verified_at=now,
                adult_attested_at=now,
                accepted_policy_version="1",
                status=AccountStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            async with container.uow()(account_id=None) as uow:
                await uow.accounts.add(owner)
                await uow.commit()
            principal = Principal.own(account_id=owner.id)
            agent = await container.create_agent()(principal, AgentSettings(name="SciFact"))
            assert agent.embedding_model == embedder.model, agent.embedding_model
            assert agent.retrieval.min_relevance == DEFAULT_MIN_RELEVANCE
            store = container.chunk_store()
            started = time.perf_counter()
            by_document: dict[str, str] = {}
            for source_id, title, chunks in docs:
                document = Document(
                    id=new_id("doc"),
                    account_id=owner.id,
                    agent_id=agent.id,
                    title=title,
                    source=DocumentSource.TEXT,
                    status=DocumentStatus.READY,
                    content_hash=source_id,
                    blob_key=f"bench/{source_id}",
                    size_bytes=0,
                    created_at=now,
                    updated_at=now,
                    kind=DocumentKind.TEXT,
                    chunk_count=len(chunks),
                    embedding_model=embedder.model,
                    char_count=len(text_of[source_id]),
                )
                async with container.uow()(account_id=owner.id) as uow:
                    await uow.documents.add(document)
                    await uow.commit()
                await store.replace_document(
                    account_id=owner.id,
                    agent_id=agent.id,
                    document_id=chunk_key(document.id, embedder.model),
                    embedding_model=embedder.model,
                    chunks=[EmbeddedChunk(chunk=c, embedding=next(vectors)) for c in chunks],
                )
                by_document[document.id] = source_id
            say(f"stored {len(docs)} documents in {time.perf_counter() - started:.1f}s")

            search = container.search_knowledge()
            chat = container.answer_chat()
            caller = ChatCaller(visitor_id=VISITOR)

            async def turn(question: str) -> tuple[bool, list[str], int]:
                """(fell back, cited SciFact ids, model calls)"""
                before = CountingResponder.calls
                answer = await chat(agent, caller, question)
                _, final, citations = await answer.collect()
                fell_back = final.message.status is MessageStatus.UNANSWERED
                return fell_back, [by_document[c.document_id] for c in citations], CountingResponder.calls - before

            async def top_relevance(question: str) -> tuple[float, list[str]]:
                """The best hit's relevance, and the documents the default gate sends (the
                prompt's sources: the first max_citations distinct documents past the gate)."""
                hits = await search(owner.id, agent.id, question, min_relevance=0.0)
                best = max((h.relevance or 0.0) for h in hits) if hits else 0.0
                sent = [h.document_id for h in hits if (h.relevance or 0.0) >= agent.retrieval.min_relevance]
                return best, [by_document[d] for d in list(dict.fromkeys(sent))[: agent.retrieval.max_citations]]

            results: dict[str, list] = {"unanswerable": [], "answerable": [], "general": []}
            best: dict[str, list[float]] = {"unanswerable": [], "answerable": [], "general": []}
            sent: dict[str, list[list[str]]] = {"unanswerable": [], "answerable": [], "general": []}
            started = time.perf_counter()
            sets = {
                "unanswerable": [queries[q] for q in unanswerable],
                "answerable": [queries[q] for q in answerable],
                "general": general,
            }
            for name, questions in sets.items():
                for i, question in enumerate(questions):
                    results[name].append(await turn(question))
                    relevance, sources = await top_relevance(question)
                    best[name].append(relevance)
                    sent[name].append(sources)
                    if (i + 1) % 100 == 0:
                        say(f"  {name}: {i + 1}/{len(questions)} ({time.perf_counter() - started:.0f}s)")
            turns = sum(len(v) for v in results.values())
            say(f"{turns} turns in {time.perf_counter() - started:.1f}s")
        finally:
            await stop(container)

    def rate(xs: list[bool]) -> float:
        return round(sum(xs) / len(xs), 3) if xs else 0.0

    answered = [(r, q) for r, q in zip(results["answerable"], answerable, strict=True) if not r[0]]
    all_answered = [r for v in results.values() for r in v if not r[0]]
    fallback_calls = sum(r[2] for v in results.values() for r in v if r[0])
    figures = {
        "dataset": "scifact-dev",
        "embedder": embedder.model,
        "min_relevance": DEFAULT_MIN_RELEVANCE,
        "reranker": bool(os.environ.get("AIOOMI_RERANK_URL")),
        "unanswerable": len(unanswerable),
        "answerable": len(answerable),
        "general": len(general),
        "general_fallback_rate": rate([r[0] for r in results["general"]]),
        "unanswerable_fallback_rate": rate([r[0] for r in results["unanswerable"]]),
        "answerable_answered_rate": rate([not r[0] for r in results["answerable"]]),
        "answerable_relevant_cited_rate": rate([bool(set(r[1]) & qrels[q]) for r, q in answered]),
        # Diagnostic: how often the sources sent to the responder hold a relevant document (the
        # ceiling of the cited rate: the answer can only cite what it was given).
        "answerable_relevant_in_sources_sent_rate": rate(
            [
                bool(set(s) & qrels[q])
                for s, q, r in zip(sent["answerable"], answerable, results["answerable"], strict=True)
                if not r[0]
            ]
        ),
        "mean_citations_per_answer": round(sum(len(r[1]) for r in all_answered) / max(len(all_answered), 1), 2),
        "fallback_model_calls": fallback_calls,
        # Baseline in the same run: the gate off (min_relevance 0, the old default) falls back on nothing.
        "baseline_gate_off_general_fallback_rate": rate([b < 0.0 for b in best["general"]]),
        "baseline_gate_off_unanswerable_fallback_rate": rate([b < 0.0 for b in best["unanswerable"]]),
        "sweep": {
            str(g): {
                "general_fallback": rate([b < g for b in best["general"]]),
                "unanswerable_fallback": rate([b < g for b in best["unanswerable"]]),
                "answerable_answered": rate([b >= g for b in best["answerable"]]),
            }
            for g in SWEEP
        },
        "targets": {
            "general_fallback": 0.95,
            "unanswerable_fallback": 0.60,
            "answerable_answered": 0.90,
            "relevant_cited": 0.80,
            "mean_citations_max": 3,
        },
        "load_average": os.getloadavg()[0],
    }
    for g, row in figures["sweep"].items():
        say(f"  gate {g}: {row}")
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
