"""The optional reranker: HttpReranker against the fake /rerank server over real HTTP, inside
SearchKnowledge and AnswerChat on the memory adapters."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.adapters.rerank.http_reranker import HttpReranker
from aioomi.container import Container
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentRetrieval, AgentSettings
from aioomi.domain.model.chat import MessageStatus, TurnSources
from aioomi.domain.model.documents import DocumentSource, DocumentUpload
from aioomi.domain.model.knowledge import EmbeddingUnavailable, RerankUnavailable
from aioomi.domain.usecases.answer_chat import ChatCaller
from aioomi.entrypoints.worker.jobs import build_worker
from tests.fakes.rerank_fixtures import ServedFakeReranker, _served_fake_reranker, fake_reranker  # noqa: F401 - fixtures
from tests.unit.chat_support import VISITOR, account, store
from tests.unit.knowledge_support import use_test_embedders

DOCS = {  # title: text; the three share the question's words, in decreasing measure
    "Refund rules": "Refunds for orders reach the card within fourteen days.",
    "Refund vouchers": "Refunds for orders become vouchers.",
    "Order history": "Orders are listed in the account.",
}
QUESTION = "refunds for orders reach the card within fourteen days"


async def shop(
    container: Container, reranker: HttpReranker | None, retrieval: AgentRetrieval | None = None
) -> tuple[Any, dict[str, str]]:
    use_test_embedders(container, dimensions=256)
    container.reranker.override(providers.Object(reranker))
    owner = account()
    await store(container, owner)
    principal = Principal.own(account_id=owner.id)
    agent = await container.create_agent()(
        principal, AgentSettings(name="Shop", retrieval=retrieval or AgentRetrieval(min_relevance=0.0, max_citations=1))
    )
    ids = {}
    for title, text in DOCS.items():
        document, _ = await container.add_document()(
            principal,
            agent.id,
            DocumentUpload(
                data=text.encode(),
                title=title,
                filename="d.md",
                content_type="text/markdown",
                source=DocumentSource.TEXT,
            ),
        )
        ids[title] = document.id
    await build_worker(container).run_until_idle()
    return agent, ids


async def cited_titles(
    container: Container, agent: Any, model: ScriptedChatModel | None = None
) -> tuple[list[str], Any]:
    model = model or ScriptedChatModel(reply=lambda r: "Fourteen days.")
    container.chat_model.override(providers.Object(model))
    answer = await container.answer_chat()(agent, ChatCaller(visitor_id=VISITOR), QUESTION)
    events = [e async for e in answer.events()]
    sources = next(e for e in events if isinstance(e, TurnSources)).citations
    async with container.uow()(account_id=agent.account_id) as uow:
        stored = await uow.chat_messages.list_for_session(agent.account_id, answer.session_id)
    return [c.document_title for c in sources], stored[-1]


async def test_without_a_reranker_the_fused_order_picks_the_citation(memory_container) -> None:
    agent, _ = await shop(memory_container, None)
    titles, _ = await cited_titles(memory_container, agent)
    assert titles == ["Refund rules"]  # the passage that shares every word of the question


async def test_a_reranker_that_reverses_the_order_changes_the_citations(
    memory_container, fake_reranker: ServedFakeReranker
) -> None:
    fake_reranker.fake.score = lambda query, document, index: float(index)  # the last candidate first
    reranker = HttpReranker(fake_reranker.url, model="rerank-test", api_key="rk-secret")
    agent, _ = await shop(memory_container, reranker)
    titles, stored = await cited_titles(memory_container, agent)
    [request] = fake_reranker.fake.requests
    assert request["query"] == QUESTION and request["model"] == "rerank-test"
    assert fake_reranker.fake.authorizations == ["Bearer rk-secret"]
    # The fused order sent was Refund rules first; reversed, the last candidate is cited.
    last = next(title for title, text in DOCS.items() if text == request["documents"][-1])
    assert request["documents"][0] == DOCS["Refund rules"]
    assert titles == [last] and last != "Refund rules"
    assert stored.status is MessageStatus.COMPLETE
    await reranker.aclose()


async def test_a_reranker_that_times_out_leaves_the_fused_order_and_the_turn_succeeds(
    memory_container, fake_reranker: ServedFakeReranker
) -> None:
    fake_reranker.fake.score = lambda query, document, index: float(index)
    fake_reranker.fake.hang_s = 2.0
    reranker = HttpReranker(fake_reranker.url, timeout_s=0.2)
    agent, _ = await shop(memory_container, reranker)
    titles, stored = await cited_titles(memory_container, agent)
    assert len(fake_reranker.fake.requests) == 1  # it was asked, and did not answer in time
    assert titles == ["Refund rules"] and stored.status is MessageStatus.COMPLETE
    await reranker.aclose()


@pytest.mark.parametrize("fault", ["status", "unreachable", "not json", "incomplete"])
async def test_the_adapter_turns_every_failure_into_rerank_unavailable(
    fake_reranker: ServedFakeReranker, fault: str
) -> None:
    url = fake_reranker.url
    if fault == "status":
        fake_reranker.fake.status = 503
    elif fault == "unreachable":
        url = "http://127.0.0.1:9/v1/rerank"
    elif fault == "not json":
        fake_reranker.fake.raw = b"<html>gateway</html>"
    else:
        fake_reranker.fake.raw = b'{"results": [{"index": 0, "relevance_score": 0.9}]}'  # "b" unscored
    reranker = HttpReranker(url, timeout_s=2)
    with pytest.raises(RerankUnavailable):
        await reranker.rerank("q", ["a", "b"])
    await reranker.aclose()


async def test_with_a_reranker_the_gate_reads_its_scores_not_the_similarity(
    memory_container, fake_reranker: ServedFakeReranker
) -> None:
    reranker = HttpReranker(fake_reranker.url)
    # The default gate (0.5) and room for every document: what passes is what the gate decides.
    agent, _ = await shop(memory_container, reranker, AgentRetrieval(max_citations=3))
    assert agent.retrieval.min_relevance == 0.5

    # The reranker fails: the similarity gate decides, and the passage sharing every word passes.
    fake_reranker.fake.status = 503
    titles, _ = await cited_titles(memory_container, agent)
    assert "Refund rules" in titles

    # The reranker judges only "Order history" relevant (0.9; the others 0.1, under its gate of
    # 0.5): only it is cited, though its similarity is the lowest of the three.
    fake_reranker.fake.status = 200
    fake_reranker.fake.score = lambda query, document, index: 0.9 if document == DOCS["Order history"] else 0.1
    titles, stored = await cited_titles(memory_container, agent)
    assert titles == ["Order history"] and stored.status is MessageStatus.COMPLETE

    # It judges none relevant (0.3 < 0.5): the grounded agent falls back without asking the model.
    fake_reranker.fake.score = lambda query, document, index: 0.3
    model = ScriptedChatModel(reply=lambda r: "Fourteen days.")
    titles, stored = await cited_titles(memory_container, agent, model)
    assert titles == [] and stored.status is MessageStatus.UNANSWERED and model.requests == []
    await reranker.aclose()


async def test_a_reranked_search_reports_the_rerankers_relevance(
    memory_container, fake_reranker: ServedFakeReranker
) -> None:
    reranker = HttpReranker(fake_reranker.url)
    agent, _ = await shop(memory_container, reranker, AgentRetrieval(max_citations=3))
    # Scores 0.25 / 0.75 / 1.0 by candidate: on the reranker's scale (gate 0.5) relevance 0.25, 0.75, 1.0.
    fake_reranker.fake.score = lambda query, document, index: {0: 0.25, 1: 0.75}.get(index, 1.0)
    hits = await memory_container.search_knowledge()(agent.account_id, agent.id, QUESTION, min_relevance=0.0)
    assert sorted(round(h.relevance or 0.0, 6) for h in hits) == [0.25, 0.75, 1.0]
    assert [h.relevance for h in hits] == sorted((h.relevance for h in hits), reverse=True)  # best first
    passed = await memory_container.search_knowledge()(agent.account_id, agent.id, QUESTION, min_relevance=0.7)
    assert sorted(round(h.relevance or 0.0, 6) for h in passed) == [0.75, 1.0]
    await reranker.aclose()


async def test_with_the_embedder_down_a_reranker_still_gates_the_lexical_hits(
    memory_container, fake_reranker: ServedFakeReranker
) -> None:
    reranker = HttpReranker(fake_reranker.url)
    agent, _ = await shop(memory_container, reranker, AgentRetrieval(max_citations=3))

    async def down(texts: object) -> None:
        raise EmbeddingUnavailable("The embedding provider is down.")

    memory_container.embedders().get("test-embedder-a").on_call = down
    search = memory_container.search_knowledge()
    # Neither measure: the lexical hits pass ungated (the three documents share the question's words).
    fake_reranker.fake.status = 503
    hits = await search(agent.account_id, agent.id, QUESTION)
    assert len(hits) == 3 and {h.relevance for h in hits} == {None}
    # The reranker answers: its scores gate them (only "Order history" reaches its gate of 0.5).
    fake_reranker.fake.status = 200
    fake_reranker.fake.score = lambda query, document, index: 0.9 if document == DOCS["Order history"] else 0.1
    hits = await search(agent.account_id, agent.id, QUESTION)
    assert [(h.document_title, h.relevance) for h in hits] == [("Order history", pytest.approx(0.9))]
    await reranker.aclose()
