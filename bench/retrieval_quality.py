"""Retrieval quality on SciFact (dev): nDCG@10 and recall@100 of dense, lexical and hybrid
search through the real PostgresChunkStore, with the offline WordLlama embedder; titles indexed
through the product's own path (each abstract's title is its document title: a weighted BM25
field and the first line of the embedded text, not pasted into the text).

Run: .venv/bin/python bench/retrieval_quality.py   (a few minutes on 2 cores)
Baseline in the same run: the lexical signal alone (BM25) and the dense one alone.
The fusion weights are chosen by 5-fold cross-validation (queries split with a fixed seed; the
grid is searched on four folds and the choice scored on the fifth): the figure reported is the
mean over the held-out folds, and the product's default is the choice the folds agree on.
Target: cross-validated hybrid nDCG@10 >= 0.70, and hybrid above BM25 on every fold.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import embedded_database, say

from aioomi.adapters.local.markdown_chunker import MarkdownChunker
from aioomi.adapters.local.wordllama_embedder import WordLlamaEmbedder
from aioomi.adapters.postgres.chunk_store import PostgresChunkStore
from aioomi.domain.model.knowledge import (
    DocumentKind,
    EmbeddedChunk,
    ExtractedText,
    LexicalIndex,
    fusion_for,
    reciprocal_rank_fusion,
    titled,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-dev"
if not DATA.exists():
    DATA = Path("/work/shared/data/scifact-dev")
ACCOUNT, AGENT = "acct_bench", "agt_scifact"
FUSION_GRID = [(k, w) for k in (2, 5, 10, 20, 60) for w in (0.2, 0.3, 0.4, 0.5, 0.7, 1.0)]  # (60, 1.0) is textbook RRF
EXACT_BM25 = LexicalIndex(max_query_terms=10_000, postings_per_term=10_000_000)  # reads every posting


def load():
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open()]
    queries = {q["id"]: q["text"] for q in map(json.loads, (DATA / "queries.jsonl").open())}
    qrels: dict[str, dict[str, int]] = {}
    for line in list((DATA / "qrels.tsv").open())[1:]:
        qid, did, score = line.rstrip("\n").split("\t")
        qrels.setdefault(qid, {})[did] = int(score)
    return corpus, {q: t for q, t in queries.items() if q in qrels}, qrels


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:10]))
    return dcg / ideal if ideal else 0.0


def recall_at_100(ranked: list[str], relevant: dict[str, int]) -> float:
    return len(set(ranked[:100]) & set(relevant)) / len(relevant)


def documents(hits) -> list[str]:
    return list(dict.fromkeys(h.document_id for h in hits))


def score(runs: dict[str, list[str]], qrels) -> dict[str, float]:
    n = len(runs)
    return {
        "ndcg@10": round(sum(ndcg_at_10(r, qrels[q]) for q, r in runs.items()) / n, 4),
        "recall@100": round(sum(recall_at_100(r, qrels[q]) for q, r in runs.items()) / n, 4),
    }


FOLDS = 5
SEED = 14


def folds_of(qids: list[str]) -> list[list[str]]:
    shuffled = sorted(qids)
    random.Random(SEED).shuffle(shuffled)
    return [shuffled[i::FOLDS] for i in range(FOLDS)]


async def main() -> None:
    corpus, queries, qrels = load()
    say(f"SciFact dev: {len(corpus)} documents, {len(queries)} judged queries")
    chunker, embedder = MarkdownChunker(), WordLlamaEmbedder()
    started = time.perf_counter()
    docs = []
    for d in corpus:
        # The product's path: the title is the document's title, searched with every chunk.
        chunks = titled(chunker.chunk(ExtractedText(kind=DocumentKind.TEXT, text=d["text"])), d["title"])
        docs.append((d["id"], chunks))
    n_chunks = sum(len(c) for _, c in docs)
    say(f"chunked into {n_chunks} chunks in {time.perf_counter() - started:.1f}s")
    vectors = iter(embedder.embed_now([c.embedding_text() for _, cs in docs for c in cs]))
    say(f"embedded with {embedder.model} in {time.perf_counter() - started:.1f}s")
    qids = sorted(queries)
    qvectors = dict(zip(qids, embedder.embed_now([queries[q] for q in qids]), strict=True))

    async with embedded_database() as (database, conninfo):
        store = PostgresChunkStore(database.pool)
        started = time.perf_counter()
        for doc_id, chunks in docs:
            await store.replace_document(
                account_id=ACCOUNT,
                agent_id=AGENT,
                document_id=doc_id,
                embedding_model=embedder.model,
                chunks=[EmbeddedChunk(chunk=c, embedding=next(vectors)) for c in chunks],
            )
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            await conn.execute("VACUUM ANALYZE knowledge_chunks")
            await conn.execute("VACUUM ANALYZE knowledge_postings")
        say(f"stored in {time.perf_counter() - started:.1f}s; searching {len(qids)} queries")

        async def run(text: bool, vector: bool, s: PostgresChunkStore) -> dict[str, list]:
            out = {}
            for q in qids:
                out[q] = await s.search(
                    account_id=ACCOUNT,
                    agent_id=AGENT,
                    query_text=queries[q] if text else "",
                    query_vector=qvectors[q] if vector else None,
                    embedding_model=embedder.model,
                    top_k=100,
                    min_similarity=-1.0,
                )
            return out

        started = time.perf_counter()
        dense = {q: documents(h) for q, h in (await run(False, True, store)).items()}
        say(f"dense   {score(dense, qrels)} ({time.perf_counter() - started:.1f}s)")
        started = time.perf_counter()
        lexical = {q: documents(h) for q, h in (await run(True, False, store)).items()}
        say(f"lexical {score(lexical, qrels)} ({time.perf_counter() - started:.1f}s)")
        # The product reads a bounded number of postings (LexicalIndex); exact BM25 reads them all.
        bounded = {}
        for name, limits in (
            ("lexical_exact", EXACT_BM25),
            ("lexical_cap100", LexicalIndex(postings_per_term=100)),
            ("lexical_cap300", LexicalIndex(postings_per_term=300)),
        ):
            started = time.perf_counter()
            store_x = PostgresChunkStore(database.pool, lexical=limits)
            bounded[name] = score({q: documents(h) for q, h in (await run(True, False, store_x)).items()}, qrels)
            say(f"{name} {bounded[name]} ({time.perf_counter() - started:.1f}s)")

        def fused(k: int, w: float, subset: list[str]) -> dict[str, list[str]]:
            return {
                q: [d for d, _ in reciprocal_rank_fusion([dense[q], lexical[q]], k=k, weights=[w, 1.0])] for q in subset
            }

        def ndcg(runs: dict[str, list[str]]) -> float:
            return sum(ndcg_at_10(r, qrels[q]) for q, r in runs.items()) / len(runs)

        folds = folds_of(qids)
        per_fold = []
        for i, held_out in enumerate(folds):
            train = [q for j, f in enumerate(folds) if j != i for q in f]
            k, w = max(FUSION_GRID, key=lambda kw: (ndcg(fused(kw[0], kw[1], train)), -kw[0], kw[1]))
            row = {
                "fold": i,
                "k": k,
                "dense_weight": w,
                "hybrid_ndcg10": round(ndcg(fused(k, w, held_out)), 4),
                "lexical_ndcg10": round(ndcg({q: lexical[q] for q in held_out}), 4),
                "dense_ndcg10": round(ndcg({q: dense[q] for q in held_out}), 4),
            }
            per_fold.append(row)
            say(
                f"  fold {i}: tuned on {len(train)} queries -> k={k} dense_weight={w}; held out {len(held_out)}: "
                f"hybrid {row['hybrid_ndcg10']} vs BM25 {row['lexical_ndcg10']}"
            )
        choices = Counter((r["k"], r["dense_weight"]) for r in per_fold)
        top = max(choices.values())
        # The folds' most frequent choice; a tie goes to the best on all queries.
        cv_k, cv_w = max((kw for kw, n in choices.items() if n == top), key=lambda kw: ndcg(fused(kw[0], kw[1], qids)))
        cv_ndcg = round(sum(r["hybrid_ndcg10"] for r in per_fold) / FOLDS, 4)
        say(
            f"cross-validated hybrid nDCG@10 {cv_ndcg}; the folds chose {dict(choices)} -> default k={cv_k} "
            f"dense_weight={cv_w}"
        )
        same_query_best = max(FUSION_GRID, key=lambda kw: ndcg(fused(kw[0], kw[1], qids)))

        product = fusion_for(embedder.model)
        started = time.perf_counter()
        hits = await run(True, True, PostgresChunkStore(database.pool))
        elapsed = time.perf_counter() - started
        product_scores = score({q: documents(h) for q, h in hits.items()}, qrels)
        say(
            f"product default through the store (k={product.k}, dense_weight={product.dense_weight}) "
            f"{product_scores} in {elapsed:.1f}s ({1000 * elapsed / len(qids):.1f} ms/query)"
        )

    figures = {
        "dataset": "scifact-dev",
        "queries": len(qids),
        "chunks": n_chunks,
        "embedder": embedder.model,
        "titles": "document title field (weighted BM25 term, embedded heading line)",
        "dense_ndcg10": score(dense, qrels)["ndcg@10"],
        "lexical_ndcg10": score(lexical, qrels)["ndcg@10"],
        "lexical_recall100": score(lexical, qrels)["recall@100"],
        "lexical_exact_ndcg10": bounded["lexical_exact"]["ndcg@10"],
        "lexical_exact_recall100": bounded["lexical_exact"]["recall@100"],
        "lexical_cap100_ndcg10": bounded["lexical_cap100"]["ndcg@10"],
        "lexical_cap300_ndcg10": bounded["lexical_cap300"]["ndcg@10"],
        "postings_per_term": LexicalIndex().postings_per_term,
        "max_query_terms": LexicalIndex().max_query_terms,
        "hybrid_cv_ndcg10": cv_ndcg,
        "folds": per_fold,
        "hybrid_above_bm25_every_fold": all(r["hybrid_ndcg10"] > r["lexical_ndcg10"] for r in per_fold),
        "cv_choice": {"k": cv_k, "dense_weight": cv_w},
        "product_default": {"k": product.k, "dense_weight": product.dense_weight},
        "product_default_ndcg10_same_queries": product_scores["ndcg@10"],
        "product_default_recall100": product_scores["recall@100"],
        "same_query_tuned_ndcg10": round(ndcg(fused(*same_query_best, qids)), 4),
        "same_query_choice": {"k": same_query_best[0], "dense_weight": same_query_best[1]},
        "target_hybrid_ndcg10": 0.70,
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
