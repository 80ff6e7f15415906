"""Natural text for the benchmarks: SciFact dev (shipped in ``shared/data/scifact-dev`` beside
the checkout, as bench/retrieval_quality.py finds it), its sentences recombined into as many
chunk texts as a bench needs, so word frequencies follow real prose (a few words in a large
share of the chunks, a long tail of rare ones) rather than uniform synthetic words."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-dev"
if not DATA.exists():
    DATA = Path("/work/shared/data/scifact-dev")

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sentences() -> list[str]:
    """Every sentence of the corpus's titles and abstracts."""
    out = []
    for line in (DATA / "corpus.jsonl").open():
        doc = json.loads(line)
        if doc["title"]:
            out.append(doc["title"].strip())
        out.extend(s.strip() for s in _SENTENCE.split(doc["text"]) if len(s.strip()) > 20)
    return out


def natural_texts(n: int, *, seed: int = 7, sentences_per_chunk: tuple[int, int] = (3, 6)) -> list[str]:
    """``n`` chunk texts of 3-6 sentences drawn at random from the corpus."""
    pool = sentences()
    rng = random.Random(seed)
    return [" ".join(rng.choices(pool, k=rng.randint(*sentences_per_chunk))) for _ in range(n)]


def queries() -> list[str]:
    """The dev queries (short claims, 5-20 words)."""
    return [json.loads(line)["text"] for line in (DATA / "queries.jsonl").open()]


def long_queries(n: int, words: int, *, seed: int = 11) -> list[str]:
    """``n`` questions of about ``words`` words: real sentences of the corpus joined (a long
    pasted question)."""
    pool = sentences()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text: list[str] = []
        while len(text) < words:
            text.extend(rng.choice(pool).split())
        out.append(" ".join(text[:words]))
    return out
