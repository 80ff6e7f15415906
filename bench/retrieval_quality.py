"""Retrieval quality on SciFact (dev): nDCG@10 and recall@100 of dense, lexical and hybrid
search through the real PostgresChunkStore, with the offline WordLlama embedder.

Run: .venv/bin/python bench/retrieval_quality.py   (a few minutes on 2 cores)
Baseline in the same run: the lexical signal alone (BM25) and the dense one alone.
Target: hybrid nDCG@10 >= 0.70. The fusion weights are tuned on this same dev set (there is
no held-out split here), which the JSON says (`tuned_on`).
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import embedded_database, say  # noqa: E402

from aioomi.adapters.local.markdown_chunker import MarkdownChunker  # noqa: E402
from aioomi.adapters.local.wordllama_embedder import WordLlamaEmbedder  # noqa: E402
from aioomi.adapters.postgres.chunk_store import PostgresChunkStore  # noqa: E402
from aioomi.domain.model.knowledge import (  # noqa: E402
    Bm25, DocumentKind, EmbeddedChunk, ExtractedText, HybridFusion, LexicalIndex, fusion_for, reciprocal_rank_fusion,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-dev"
if not DATA.exists():
    DATA = Path("/work/shared/data/scifact-dev")
ACCOUNT, AGENT = "acct_bench", "agt_scifact"
FUSION_GRID = [(k, w) for k in (2, 5, 10, 20, 60) for w in (0.2, 0.3, 0.4, 0.5, 0.7, 1.0)]  # (60, 1.0) is textbook RRF
EXACT_BM25 = LexicalIndex(max_query_terms=10_000, postings_per_term=10_000_000)  # reads every posting
BM25_GRID = [Bm25(), Bm25(k1=0.9, b=0.4)]  # Lucene-style defaults, then Anserini's


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


def documents(hits) -> list[str]:  # noqa: ANN001
    return list(dict.fromkeys(h.document_id for h in hits))


def score(runs: dict[str, list[str]], qrels) -> dict[str, float]:  # noqa: ANN001
    n = len(runs)
    return {
        "ndcg@10": round(sum(ndcg_at_10(r, qrels[q]) for q, r in runs.items()) / n, 4),
        "recall@100": round(sum(recall_at_100(r, qrels[q]) for q, r in runs.items()) / n, 4),
    }


async def main() -> None:
    corpus, queries, qrels = load()
    say(f"SciFact dev: {len(corpus)} documents, {len(queries)} judged queries")
    chunker, embedder = MarkdownChunker(), WordLlamaEmbedder()
    started = time.perf_counter()
    docs = []
    for d in corpus:
        text = f"# {d['title']}\n\n{d['text']}" if d["title"] else d["text"]
        docs.append((d["id"], chunker.chunk(ExtractedText(kind=DocumentKind.MARKDOWN, text=text))))
    n_chunks = sum(len(c) for _, c in docs)
    say(f"chunked into {n_chunks} chunks in {time.perf_counter() - started:.1f}s")
    vectors = iter(embedder.embed_now([c.text for _, cs in docs for c in cs]))
    say(f"embedded with {embedder.model} in {time.perf_counter() - started:.1f}s")
    qids = sorted(queries)
    qvectors = dict(zip(qids, embedder.embed_now([queries[q] for q in qids]), strict=True))

    async with embedded_database() as (database, conninfo):
        store = PostgresChunkStore(database.pool)
        started = time.perf_counter()
        for doc_id, chunks in docs:
            await store.replace_document(
                account_id=ACCOUNT, agent_id=AGENT, document_id=doc_id, embedding_model=embedder.model,
                chunks=[EmbeddedChunk(chunk=c, embedding=next(vectors)) for c in chunks],
            )
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            await conn.execute("VACUUM ANALYZE knowledge_chunks")
            await conn.execute("VACUUM ANALYZE knowledge_postings")
        say(f"stored in {time.perf_counter() - started:.1f}s; searching {len(qids)} queries three ways")

        async def run(text: bool, vector: bool, s: PostgresChunkStore) -> dict[str, list]:
            out = {}
            for q in qids:
                out[q] = await s.search(
                    account_id=ACCOUNT, agent_id=AGENT, query_text=queries[q] if text else "",
                    query_vector=qvectors[q] if vector else None, embedding_model=embedder.model, top_k=100,
                    min_similarity=-1.0,
                )
            return out

        started = time.perf_counter()
        dense = {q: documents(h) for q, h in (await run(False, True, store)).items()}
        results = {"dense": score(dense, qrels)}
        say(f"dense   {results['dense']} ({time.perf_counter() - started:.1f}s)")
        lexical_runs = {}
        for bm25 in BM25_GRID:
            started = time.perf_counter()
            store_b = PostgresChunkStore(database.pool, bm25=bm25)
            lexical_runs[bm25] = {q: documents(h) for q, h in (await run(True, False, store_b)).items()}
            results[f"lexical k1={bm25.k1} b={bm25.b}"] = score(lexical_runs[bm25], qrels)
            say(f"lexical k1={bm25.k1} b={bm25.b} {results[f'lexical k1={bm25.k1} b={bm25.b}']} "
                f"({time.perf_counter() - started:.1f}s)")
        results["lexical"] = results[f"lexical k1={BM25_GRID[0].k1} b={BM25_GRID[0].b}"]
        # The product reads a bounded number of postings (LexicalIndex); exact BM25 reads them all.
        for name, limits in (("lexical_exact", EXACT_BM25), ("lexical_cap100", LexicalIndex(postings_per_term=100)),
                             ("lexical_cap300", LexicalIndex(postings_per_term=300))):
            started = time.perf_counter()
            store_x = PostgresChunkStore(database.pool, lexical=limits)
            results[name] = score({q: documents(h) for q, h in (await run(True, False, store_x)).items()}, qrels)
            say(f"{name} {results[name]} ({time.perf_counter() - started:.1f}s)")

        grid = {}
        for bm25, lexical in lexical_runs.items():
            for k, w in FUSION_GRID:
                fused = {
                    q: [d for d, _ in reciprocal_rank_fusion([dense[q], lexical[q]], k=k, weights=[w, 1.0])]
                    for q in qids
                }
                grid[(bm25, k, w)] = score(fused, qrels)
                say(f"  bm25 k1={bm25.k1} b={bm25.b} fusion k={k:<3} dense_weight={w:<4} -> {grid[(bm25, k, w)]}")
        best_bm25, best_k, best_w = max(grid, key=lambda key: grid[key]["ndcg@10"])
        results["hybrid_rrf60"] = grid[(BM25_GRID[0], 60, 1.0)]
        say(f"textbook RRF (k=60, equal weights) {results['hybrid_rrf60']}")
        for name, fusion, bm25 in (
            ("hybrid_product_default", None, Bm25()),  # what the store does for this model by default
            ("hybrid", HybridFusion(k=best_k, dense_weight=best_w), best_bm25),
        ):
            store_f = PostgresChunkStore(database.pool, fusion=fusion, bm25=bm25)
            fusion = fusion or fusion_for(embedder.model)
            started = time.perf_counter()
            hits = await run(True, True, store_f)
            elapsed = time.perf_counter() - started
            results[name] = score({q: documents(h) for q, h in hits.items()}, qrels)
            say(f"{name:<14} (k={fusion.k}, dense_weight={fusion.dense_weight}, bm25 k1={bm25.k1} b={bm25.b}) "
                f"{results[name]} in {elapsed:.1f}s ({1000 * elapsed / len(qids):.1f} ms/query)")

    figures = {
        "dataset": "scifact-dev", "queries": len(qids), "chunks": n_chunks, "embedder": embedder.model,
        "dense_ndcg10": results["dense"]["ndcg@10"], "dense_recall100": results["dense"]["recall@100"],
        "lexical_ndcg10": results["lexical"]["ndcg@10"], "lexical_recall100": results["lexical"]["recall@100"],
        "lexical_exact_ndcg10": results["lexical_exact"]["ndcg@10"],
        "lexical_exact_recall100": results["lexical_exact"]["recall@100"],
        "lexical_cap100_ndcg10": results["lexical_cap100"]["ndcg@10"],
        "lexical_cap300_ndcg10": results["lexical_cap300"]["ndcg@10"],
        "postings_per_term": LexicalIndex().postings_per_term, "max_query_terms": LexicalIndex().max_query_terms,
        "hybrid_rrf60_ndcg10": results["hybrid_rrf60"]["ndcg@10"],
        "hybrid_product_default_ndcg10": results["hybrid_product_default"]["ndcg@10"],
        "hybrid_product_default_recall100": results["hybrid_product_default"]["recall@100"],
        "hybrid_ndcg10": results["hybrid"]["ndcg@10"], "hybrid_recall100": results["hybrid"]["recall@100"],
        "fusion_k": best_k, "fusion_dense_weight": best_w, "bm25_k1": best_bm25.k1, "bm25_b": best_bm25.b, "tuned_on": "scifact-dev (same queries)",
        "target_hybrid_ndcg10": 0.70, "ratio_to_lexical": round(results["hybrid"]["ndcg@10"] / results["lexical"]["ndcg@10"], 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
