"""Which offline evidence tells an unanswerable question from an answerable one? The study behind
the relevance gate's rule (docs/knowledge.md, "What else was tried"), cross-validated.

Run: .venv/bin/python bench/answerability_evidence.py   (about a minute on 2 cores)

The same sets as bench/answerability.py (SciFact dev split in two with seed 14, the documents
relevant to the first half removed; 100 general questions of our own), the same chunks (the
product's chunker, titles as the document title), the same signals computed in numpy from the
product's own parts: WordLlama vectors, BM25 with the product's stemmer, stop words, title weight
and parameters, the product's fusion weights and calibrated relevance scale, and the candidate
pool SearchKnowledge gates (20 fused candidates, the top 8 returned). No database: it measures
evidence, not the store (bench/answerability.py measures the whole turn).

Per question it measures candidate evidence:
- ``similarity``: the best relevance on the owner's scale (what the gate reads today);
- ``coverage``: the share of the question's BM25 term weight (IDF; a term the knowledge base
  does not hold counts with the highest IDF) present in a passage, best of the top 8;
- ``agreement``: the best rank both signals agree on (min over hits of max(dense, lexical rank));
- ``lexical_peak`` / ``dense_peak``: how far the best BM25 score / similarity stands above the
  10th best (a relevant passage should stand out of a plateau of neighbours);
- ``bigram_coverage``: IDF-weighted share of the question's adjacent term pairs found adjacent.

Then, with 5 folds over each set (seed 5): per feature its AUC (answerable vs unanswerable, and vs
general); three gates tuned on four folds and scored on the fifth — the similarity gate alone
(the product, the baseline of this run), similarity + lexical coverage (``relevance + a·(coverage
− c)``, a and c chosen on the training folds) and a logistic model over every feature with its
threshold chosen on the training folds — each under the constraint that the training folds keep
answering ≥ 0.92 of answerable questions and falling back on ≥ 0.95 of general ones; and the
citation study: the share of answered questions with a relevant document among the sources for
the fused order, the order by relevance, and cuts of sources far below the best, with the ceiling
(a relevant document anywhere among the gated candidates).
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import say

from aioomi.adapters.local.markdown_chunker import MarkdownChunker
from aioomi.adapters.local.wordllama_embedder import WordLlamaEmbedder
from aioomi.adapters.memory.english_terms import english_terms
from aioomi.domain.model.knowledge import (
    CHARS_PER_CHUNK,
    TITLE_TERM_WEIGHT,
    Bm25,
    DocumentKind,
    ExtractedText,
    candidate_pool,
    fusion_for,
    relevance_scale,
    titled,
)
from aioomi.domain.usecases.search_knowledge import rerank_pool

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-dev"
if not DATA.exists():
    DATA = Path("/work/shared/data/scifact-dev")
GENERAL = Path(__file__).resolve().parent / "data" / "general_questions.txt"
SEED, FOLD_SEED, FOLDS = 14, 5, 5
TOP_K, MAX_CITATIONS, GATE = 8, 3, 0.5
TRAIN_ANSWERED, TRAIN_GENERAL = 0.92, 0.95
FEATURES = [
    "similarity",
    "coverage",
    "coverage_top1",
    "agreement",
    "lexical_peak",
    "dense_peak",
    "lexical_best",
    "bigram_coverage",
]


@dataclass(frozen=True)
class Hit:
    """One fused candidate and its evidence."""

    doc: str
    relevance: float
    coverage: float
    dense_rank: int | None
    lexical_rank: int | None
    bigrams: float


@dataclass(frozen=True)
class Evidence:
    features: dict[str, float]
    hits: list[Hit]


Rule = Callable[[Evidence], bool]


def load() -> tuple[list[dict[str, str]], dict[str, str], dict[str, set[str]], list[str]]:
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open()]
    queries = {q.get("_id", q.get("id")): q["text"] for q in map(json.loads, (DATA / "queries.jsonl").open())}
    qrels: dict[str, set[str]] = {}
    for line in list((DATA / "qrels.tsv").open())[1:]:
        qid, did, _ = line.rstrip("\n").split("\t")
        qrels.setdefault(qid, set()).add(did)
    general = [line.strip() for line in GENERAL.open() if line.strip() and not line.startswith("#")]
    return corpus, {q: t for q, t in queries.items() if q in qrels}, qrels, general


class Index:
    """The knowledge base as the product searches it, in numpy."""

    def __init__(self, docs: list[tuple[str, str, str]]) -> None:
        chunker, self.embedder, self.bm25 = MarkdownChunker(), WordLlamaEmbedder(), Bm25()
        self.doc: list[str] = []
        self.terms: list[Counter[str]] = []
        self.body: list[list[str]] = []
        texts = []
        for doc_id, title, text in docs:
            for c in titled(chunker.chunk(ExtractedText(kind=DocumentKind.TEXT, text=text)), title):
                terms = Counter(english_terms(c.text))
                for term, tf in Counter(english_terms(" ".join((c.title, *c.heading_path)))).items():
                    terms[term] += TITLE_TERM_WEIGHT * tf
                self.doc.append(doc_id)
                self.terms.append(terms)
                self.body.append(english_terms(f"{c.title} . {c.text}"))
                texts.append(c.embedding_text())
        vectors = np.asarray(self.embedder.embed_now(texts), dtype=np.float32)
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self.n = len(self.doc)
        self.df: Counter[str] = Counter()
        self.postings: dict[str, list[int]] = {}
        for i, terms in enumerate(self.terms):
            self.df.update(terms.keys())
            for t in terms:
                self.postings.setdefault(t, []).append(i)
        self.lengths = np.array([sum(t.values()) for t in self.terms], dtype=np.float64)
        self.avg = float(self.lengths.mean())
        self.scale = relevance_scale(self.embedder.model, chunks=sum(len(d[2]) for d in docs) // CHARS_PER_CHUNK)
        self.fusion = fusion_for(self.embedder.model)
        self.bigrams: dict[int, set[tuple[str, str]]] = {}

    def idf(self, term: str) -> float:
        return self.bm25.idf(self.n, self.df.get(term, 0))

    def evidence(self, question: str) -> Evidence:
        query = np.asarray(self.embedder.embed_now([question])[0], dtype=np.float32)
        sims = self.vectors @ (query / np.linalg.norm(query))
        pool = candidate_pool(rerank_pool(TOP_K))
        dense = [int(i) for i in np.argsort(-sims, kind="stable")[:pool]]
        terms = set(english_terms(question))
        scores: dict[int, float] = {}
        for t in terms:
            for i in self.postings.get(t, []):
                scores[i] = scores.get(i, 0.0) + self.bm25.term_score(
                    self.terms[i][t], int(self.lengths[i]), self.avg, self.idf(t)
                )
        lexical = sorted(scores, key=lambda i: (-scores[i], i))[:pool]
        dense_rank = {i: r for r, i in enumerate(dense, start=1)}
        lexical_rank = {i: r for r, i in enumerate(lexical, start=1)}
        fused: dict[int, float] = {}
        for i, r in dense_rank.items():
            fused[i] = fused.get(i, 0.0) + self.fusion.dense_weight / (self.fusion.k + r)
        for i, r in lexical_rank.items():
            fused[i] = fused.get(i, 0.0) + self.fusion.lexical_weight / (self.fusion.k + r)
        candidates = sorted(fused, key=lambda i: (-fused[i], i))[: rerank_pool(TOP_K)]
        weight = {t: self.idf(t) for t in terms}
        total = sum(weight.values()) or 1.0
        words = english_terms(question)
        pairs = list(zip(words, words[1:], strict=False))
        pair_weight = [self.idf(a) + self.idf(b) for a, b in pairs]
        hits = []
        for i in candidates:
            if i not in self.bigrams:
                self.bigrams[i] = set(zip(self.body[i], self.body[i][1:], strict=False))
            hits.append(
                Hit(
                    doc=self.doc[i],
                    relevance=self.scale.relevance(float(sims[i])),
                    coverage=sum(w for t, w in weight.items() if t in self.terms[i]) / total,
                    dense_rank=dense_rank.get(i),
                    lexical_rank=lexical_rank.get(i),
                    bigrams=sum(w for p, w in zip(pairs, pair_weight, strict=True) if p in self.bigrams[i])
                    / (sum(pair_weight) or 1.0),
                )
            )
        top_sims = np.sort(sims)[::-1][:10]
        top_scores = sorted(scores.values(), reverse=True)[:10] + [0.0] * 10
        best = top_scores[0] or 1.0
        features = {
            "similarity": max((h.relevance for h in hits), default=0.0),
            "coverage": max((h.coverage for h in hits[:TOP_K]), default=0.0),
            "coverage_top1": hits[0].coverage if hits else 0.0,
            "agreement": -min((max(h.dense_rank or 99, h.lexical_rank or 99) for h in hits), default=99) / 99,
            "lexical_peak": (top_scores[0] - top_scores[9]) / best,
            "dense_peak": float(top_sims[0] - top_sims[9]),
            "lexical_best": math.log1p(top_scores[0]),
            "bigram_coverage": max((h.bigrams for h in hits[:TOP_K]), default=0.0),
        }
        return Evidence(features=features, hits=hits)


def auc(positive: Sequence[float] | np.ndarray, negative: Sequence[float] | np.ndarray) -> float:
    p, n = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float((p > n).mean() + 0.5 * (p == n).mean())


def logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 3000, rate: float = 0.5
) -> Callable[[np.ndarray], np.ndarray]:
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= rate * float((p - y).mean())
    return lambda v: ((v - mu) / sd) @ w + b


def main() -> None:
    started = time.perf_counter()
    corpus, queries, qrels, general = load()
    qids = sorted(queries)
    random.Random(SEED).shuffle(qids)
    unanswerable = qids[: len(qids) // 2]
    removed = {d for q in unanswerable for d in qrels[q]}
    kept = [
        (str(d.get("_id", d.get("id"))), d["title"], d["text"])
        for d in corpus
        if str(d.get("_id", d.get("id"))) not in removed
    ]
    kept_ids = {d[0] for d in kept}
    answerable = [q for q in qids[len(qids) // 2 :] if qrels[q] & kept_ids]
    index = Index(kept)
    say(
        f"{len(kept)} documents, {index.n} chunks indexed in {time.perf_counter() - started:.1f}s; "
        f"{len(unanswerable)} unanswerable, {len(answerable)} answerable, {len(general)} general"
    )
    sets = {
        "unanswerable": [queries[q] for q in unanswerable],
        "answerable": [queries[q] for q in answerable],
        "general": general,
    }
    evidence = {name: [index.evidence(q) for q in questions] for name, questions in sets.items()}
    say(f"evidence for {sum(len(v) for v in evidence.values())} questions in {time.perf_counter() - started:.1f}s")

    x = {name: np.array([[e.features[f] for f in FEATURES] for e in rows]) for name, rows in evidence.items()}
    aucs = {
        f: {
            "answerable_vs_unanswerable": round(auc(x["answerable"][:, j], x["unanswerable"][:, j]), 3),
            "answerable_vs_general": round(auc(x["answerable"][:, j], x["general"][:, j]), 3),
        }
        for j, f in enumerate(FEATURES)
    }
    for f, pair in aucs.items():
        say(f"  AUC {f:16s} {pair}")

    rng = random.Random(FOLD_SEED)
    folds = {name: np.array([i % FOLDS for i in rng.sample(range(len(rows)), len(rows))]) for name, rows in x.items()}

    def answered(name: str, mask: np.ndarray, rule: Rule) -> float:
        rows = [e for e, m in zip(evidence[name], mask, strict=True) if m]
        return sum(rule(e) for e in rows) / len(rows)

    def similarity_gate(e: Evidence) -> bool:
        return e.features["similarity"] >= GATE

    def with_coverage(a: float, c: float) -> Rule:
        return lambda e: any(h.relevance + a * (h.coverage - c) >= GATE for h in e.hits)

    def allowed(train: dict[str, np.ndarray], rule: Rule) -> bool:
        return (
            answered("answerable", train["answerable"], rule) >= TRAIN_ANSWERED
            and 1 - answered("general", train["general"], rule) >= TRAIN_GENERAL
        )

    def above(score: dict[int, float], threshold: float) -> Rule:
        return lambda e: similarity_gate(e) and score[id(e)] >= threshold

    grid = [(a, c) for a in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5) for c in (0.3, 0.4, 0.5, 0.6, 0.7)]
    per_fold: list[dict[str, dict[str, float]]] = []
    chosen: list[dict[str, float]] = []
    for fold in range(FOLDS):
        train = {n: folds[n] != fold for n in folds}
        test = {n: folds[n] == fold for n in folds}
        rules: dict[str, Rule] = {"similarity_gate": similarity_gate}
        _, a, c = max(
            (
                (1 - answered("unanswerable", train["unanswerable"], with_coverage(a, c)), a, c)
                for a, c in grid
                if allowed(train, with_coverage(a, c))
            ),
            default=(0.0, 0.0, 0.5),
        )
        rules["similarity_plus_coverage"] = with_coverage(a, c)
        xs = np.vstack([x["answerable"][train["answerable"]], x["unanswerable"][train["unanswerable"]]])
        ys = np.r_[np.ones(int(train["answerable"].sum())), np.zeros(int(train["unanswerable"].sum()))]
        model = logistic(xs, ys)
        score = {id(e): float(v) for n in x for e, v in zip(evidence[n], model(x[n]), strict=True)}
        threshold = -1e9
        for t in sorted(score[id(e)] for e, m in zip(evidence["answerable"], train["answerable"], strict=True) if m):
            if not allowed(train, above(score, t)):
                break
            threshold = t
        rules["logistic_all_features"] = above(score, threshold)
        row = {
            name: {
                "answerable_answered": round(answered("answerable", test["answerable"], rule), 3),
                "unanswerable_fallback": round(1 - answered("unanswerable", test["unanswerable"], rule), 3),
                "general_fallback": round(1 - answered("general", test["general"], rule), 3),
            }
            for name, rule in rules.items()
        }
        per_fold.append(row)
        chosen.append({"a": a, "c": c})
        say(
            f"  fold {fold + 1} held out: "
            + "; ".join(f"{k} {v}" for k, v in row.items())
            + f" (coverage rule chosen on the other folds: a {a}, c {c})"
        )
    mean = {
        rule: {
            m: round(float(np.mean([r[rule][m] for r in per_fold])), 3)
            for m in ("answerable_answered", "unanswerable_fallback", "general_fallback")
        }
        for rule in per_fold[0]
    }
    for rule, rates in mean.items():
        say(f"  mean of held-out folds, {rule}: {rates}")

    # Citations: which documents are the (at most three) sources of an answered question.
    def sources(e: Evidence, order: str, cut: float) -> list[str] | None:
        gated = [h for h in e.hits if h.relevance >= GATE][:TOP_K]
        if not gated:
            return None
        if order == "relevance":
            gated = sorted(gated, key=lambda h: -h.relevance)
        best_of: dict[str, float] = {}
        for h in gated:
            best_of[h.doc] = max(best_of.get(h.doc, 0.0), h.relevance)
        top = max(best_of.values())
        return [d for d in list(dict.fromkeys(h.doc for h in gated))[:MAX_CITATIONS] if best_of[d] >= top - cut]

    citations: dict[str, dict[str, float]] = {}
    for order, cut in (("fused", 1.0), ("relevance", 1.0), ("fused", 0.3), ("fused", 0.2), ("fused", 0.15)):
        cited: list[bool] = []
        counts: list[int] = []
        precision: list[float] = []
        for e, q in zip(evidence["answerable"], answerable, strict=True):
            docs = sources(e, order, cut)
            if docs is None:
                continue
            cited.append(bool(set(docs) & qrels[q]))
            counts.append(len(docs))
            precision.append(len(set(docs) & qrels[q]) / len(docs))
        citations[f"{order}_cut_{cut}"] = {
            "relevant_cited": round(float(np.mean(cited)), 3),
            "mean_sources": round(float(np.mean(counts)), 2),
            "precision": round(float(np.mean(precision)), 3),
        }
    ceiling: dict[str, float] = {}
    for k in (MAX_CITATIONS, TOP_K, rerank_pool(TOP_K)):
        found = [
            bool(set(list(dict.fromkeys(h.doc for h in e.hits if h.relevance >= GATE))[:k]) & qrels[q])
            for e, q in zip(evidence["answerable"], answerable, strict=True)
            if similarity_gate(e)
        ]
        ceiling[f"relevant_among_first_{k}_gated_documents"] = round(float(np.mean(found)), 3)
    for name, figures in citations.items():
        say(f"  citations {name}: {figures}")
    for name, share in ceiling.items():
        say(f"  ceiling {name}: {share}")
    print(
        json.dumps(
            {
                "dataset": "scifact-dev",
                "embedder": index.embedder.model,
                "folds": FOLDS,
                "feature_auc": aucs,
                "held_out_per_fold": per_fold,
                "coverage_rule_chosen_per_fold": chosen,
                "held_out_mean": mean,
                "citations": citations,
                "citation_ceiling": ceiling,
                "targets": {
                    "unanswerable_fallback": 0.60,
                    "answerable_answered": 0.90,
                    "general_fallback": 0.95,
                    "relevant_cited": 0.80,
                },
                "seconds": round(time.perf_counter() - started, 1),
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
