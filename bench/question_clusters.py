"""Grouping 10,000 wanting questions (issue 19): the worker's RefreshQuestionGroups on the memory
backend with the offline WordLlama embedder, as the worker runs it (read the questions, embed,
cluster, store the groups). Prints progress and ends with one JSON line.

The questions: 7,000 distinct sentences of SciFact turned into questions (the hard case for a
leader clustering: most lead their own group) and 3,000 phrasings of 60 shop questions (groups
that should form). Floor, measured in the same run: embedding the same texts alone (the part no
clustering can avoid). Peak memory: tracemalloc's peak during the refresh (Python and numpy
allocations: what the refresh itself holds), the process's peak RSS and its growth during the
refresh (the process also holds the memory backend's 20,000 stored messages and the embedder).
Target: < 30 s and < 500 MB.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.builders import account, agent_for, store

from _common import say
from _scifact import sentences
from aioomi.adapters.local.wordllama_embedder import WordLlamaEmbedder
from aioomi.container import container_in_memory
from aioomi.domain.model.chat import ChatMessage, ChatSession, MessageStatus, Role
from aioomi.domain.model.ids import new_id
from aioomi.settings import Settings

N_DISTINCT, N_SHOP = 7_000, 3_000
T0 = datetime(2026, 5, 1, tzinfo=UTC)
TOPICS = [
    "shipping to Norway",
    "a refund",
    "gift cards",
    "opening hours",
    "a broken kettle",
    "the warranty",
    "student discounts",
    "my password",
    "the newsletter",
    "an invoice",
    "delivery times",
    "returns",
    "the loyalty card",
    "cash payments",
    "a lost parcel",
    "store locations",
    "bulk orders",
    "spare parts",
    "the app",
    "my account",
    "cancelling an order",
    "changing my address",
    "express delivery",
    "price matching",
    "tea samples",
    "the size guide",
    "repair service",
    "gift wrapping",
    "order tracking",
    "the recall",
]
FORMS = [
    "How do I get {t}?",
    "Can you help with {t}?",
    "What about {t}?",
    "Question about {t}",
    "Is {t} possible?",
    "Tell me about {t}",
    "{t}?",
    "Info on {t} please",
    "Where can I find {t}?",
    "I need help with {t}",
]


def questions() -> list[str]:
    rng = random.Random(19)
    pool = [s for s in sentences() if 6 <= len(s.split()) <= 30]
    distinct = [" ".join(s.rstrip(".").split()[:20]) + "?" for s in rng.sample(pool, N_DISTINCT)]
    shop = [rng.choice(FORMS).format(t=rng.choice(TOPICS)) for _ in range(N_SHOP)]
    return distinct + shop


async def main() -> None:
    texts = questions()
    say(f"{len(texts):,} questions ({len(set(texts)):,} distinct texts)")
    embedder = WordLlamaEmbedder()
    embedder.embed_now(["warm up"])
    started = time.perf_counter()
    embedder.embed_now(texts)
    floor_s = time.perf_counter() - started
    say(f"floor: embedding them alone took {floor_s:.2f} s")

    container = container_in_memory(settings=Settings(data_dir=tempfile.mkdtemp(prefix="aioomi-bench-")))
    owner = account()
    agent = agent_for(owner)
    agent = agent.__class__(
        **{**{f: getattr(agent, f) for f in agent.__struct_fields__}, "embedding_model": embedder.model}
    )
    await store(container, owner, agent)
    async with container.uow()(account_id=owner.id) as uow:
        for i, text in enumerate(texts):
            at = T0 + timedelta(seconds=i)
            s = ChatSession(
                id=new_id("ses"), account_id=owner.id, agent_id=agent.id, visitor_id=f"visitor-{i:016d}", created_at=at
            )
            q = ChatMessage(
                id=new_id("msg"),
                account_id=owner.id,
                agent_id=agent.id,
                session_id=s.id,
                role=Role.USER,
                content=text,
                created_at=at,
            )
            a = ChatMessage(
                id=new_id("msg"),
                account_id=owner.id,
                agent_id=agent.id,
                session_id=s.id,
                role=Role.ASSISTANT,
                content="Sorry.",
                status=MessageStatus.UNANSWERED,
                reply_to=q.id,
                created_at=at,
            )
            await uow.chat_sessions.add(s)
            await uow.chat_messages.add(q)
            await uow.chat_messages.add(a)
        await uow.commit()
    say("stored as unanswered turns; refreshing the groups as the worker does")

    refresh = container.refresh_question_groups()
    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    started = time.perf_counter()
    summary = await refresh(owner.id, agent.id)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from aioomi.domain.model.accounts import Principal

    top = await container.list_question_groups()(Principal.own(account_id=owner.id), agent.id, limit=5)
    say(f"refresh: {summary} in {elapsed:.2f} s, traced peak {peak / 2**20:.1f} MiB, process peak RSS {rss_mb:.0f} MiB")
    for g in top:
        say(f"  {g.count:5d}  {g.label}")
    load = os.getloadavg()
    print(
        json.dumps(
            {
                "questions": len(texts),
                "groups": summary["groups"],
                "refresh_s": round(elapsed, 2),
                "floor_embed_s": round(floor_s, 2),
                "ratio": round(elapsed / floor_s, 1) if floor_s else None,
                "traced_peak_mb": round(peak / 2**20, 1),
                "peak_rss_mb": round(rss_mb),
                "rss_growth_mb": round(rss_mb - rss_before_mb),
                "load_average": [round(x, 2) for x in load],
                "target": "refresh < 30 s, memory < 500 MB",
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
