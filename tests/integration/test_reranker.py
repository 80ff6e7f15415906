"""The optional reranker: HttpReranker against the fake /rerank server over real HTTP, inside
SearchKnowledge and AnswerChat on the memory adapters."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.adapters.rerank.http_reranker import HttpReranker
from aioomi.container import Container, container_in_memory
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentRetrieval, AgentSettings
from aioomi.domain.model.chat import MessageStatus, TurnSources
from aioomi.domain.model.documents import DocumentSource, DocumentUpload
from aioomi.domain.model.knowledge import RerankUnavailable
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


async def shop(container: Container, reranker: HttpReranker | None) -> tuple[Any, dict[str, str]]:
    use_test_embedders(container, dimensions=256)
    container.reranker.override(providers.Object(reranker))
    owner = account()
    await store(container, owner)
    principal = Principal(account_id=owner.id)
    agent = await container.create_agent()(
        principal, AgentSettings(name="Shop", retrieval=AgentRetrieval(min_relevance=0.0, max_citations=1)))
    ids = {}
    for title, text in DOCS.items():
        document, _ = await container.add_document()(principal, agent.id, DocumentUpload(
            data=text.encode(), title=title, filename="d.md", content_type="text/markdown",
            source=DocumentSource.TEXT))
        ids[title] = document.id
    await build_worker(container).run_until_idle()
    return agent, ids


async def cited_titles(container: Container, agent: Any) -> tuple[list[str], Any]:
    model = ScriptedChatModel(reply=lambda r: "Fourteen days.")
    container.chat_model.override(providers.Object(model))
    answer = await container.answer_chat().start(agent, ChatCaller(visitor_id=VISITOR), QUESTION)
    events = [e async for e in answer.events()]
    sources = next(e for e in events if isinstance(e, TurnSources)).citations
    async with container.uow()(account_id=agent.account_id) as uow:
        stored = await uow.chat_messages.list_for_session(agent.account_id, answer.session_id)
    return [c.document_title for c in sources], stored[-1]


async def test_without_a_reranker_the_fused_order_picks_the_citation(memory_container) -> None:
    agent, _ = await shop(memory_container, None)
    titles, _ = await cited_titles(memory_container, agent)
    assert titles == ["Refund rules"]  # the passage that shares every word of the question


async def test_a_reranker_that_reverses_the_order_changes_the_citations(memory_container,
                                                                        fake_reranker: ServedFakeReranker) -> None:
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
        memory_container, fake_reranker: ServedFakeReranker) -> None:
    fake_reranker.fake.score = lambda query, document, index: float(index)
    fake_reranker.fake.hang_s = 2.0
    reranker = HttpReranker(fake_reranker.url, timeout_s=0.2)
    agent, _ = await shop(memory_container, reranker)
    titles, stored = await cited_titles(memory_container, agent)
    assert len(fake_reranker.fake.requests) == 1  # it was asked, and did not answer in time
    assert titles == ["Refund rules"] and stored.status is MessageStatus.COMPLETE
    await reranker.aclose()


@pytest.mark.parametrize("fault", ["status", "unreachable", "not json", "incomplete"])
async def test_the_adapter_turns_every_failure_into_rerank_unavailable(fake_reranker: ServedFakeReranker,
                                                                       fault: str) -> None:
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
