"""Answers an owner can trust, on the memory adapters with the real retrieval (SearchKnowledge
over the memory chunk store, a deterministic word embedder): titles searched, the relevance
gate, one citation per document, at most ``max_citations``, links for fetched pages."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.container import Container
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent, AgentRetrieval, AgentSettings, AnswerMode
from aioomi.domain.model.chat import MessageStatus, TurnDelta, TurnSources
from aioomi.domain.model.documents import DocumentSource, DocumentUpload
from aioomi.domain.usecases.answer_chat import ChatCaller
from tests.unit.chat_support import VISITOR, account, store
from tests.unit.knowledge_support import Knowledge, use_test_embedders

CALLER = ChatCaller(visitor_id=VISITOR)


@pytest.fixture
def kb(memory_container: Container) -> Knowledge:
    # 256 dimensions: texts sharing no word are near 0 (a word is a pseudo-random direction).
    return use_test_embedders(memory_container, dimensions=256)


async def owner_agent(kb: Knowledge, **settings: Any) -> tuple[Principal, Agent]:
    owner = account()
    await store(kb.container, owner)
    principal = Principal.own(account_id=owner.id)
    agent = await kb.container.create_agent()(principal, AgentSettings(**({"name": "Shop"} | settings)))
    return principal, agent


async def add(
    kb: Knowledge, principal: Principal, agent: Agent, body: str, title: str | None = None, url: str | None = None
) -> str:
    upload = DocumentUpload(
        data=body.encode(),
        title=title,
        filename=None if url else "notes.md",
        content_type="text/markdown",
        source=DocumentSource.URL if url else DocumentSource.TEXT,
        source_url=url,
    )
    document, _ = await kb.container.add_document()(principal, agent.id, upload)
    return document.id


async def ask(kb: Knowledge, agent: Agent, question: str, model: ScriptedChatModel | None = None):
    model = model or ScriptedChatModel(reply=lambda r: "An answer.")
    kb.container.chat_model.override(providers.Object(model))
    answer = await kb.container.answer_chat()(agent, CALLER, question)
    events = [e async for e in answer.events()]
    text = "".join(e.text for e in events if isinstance(e, TurnDelta))
    sources = next(e for e in events if isinstance(e, TurnSources)).citations
    async with kb.container.uow()(account_id=agent.account_id) as uow:
        stored = await uow.chat_messages.list_for_session(agent.account_id, answer.session_id)
    return text, sources, stored[-1], model


def usage_entries(kb: Knowledge, agent: Agent) -> list:
    return [e for e in kb.container.memory_database().table("usage_entries").values() if e.agent_id == agent.id]


LEAVE = "Employees stay home sixteen weeks."
SHIPPING = "Parcels arrive within three days."


async def test_a_document_is_found_through_its_title_alone(kb: Knowledge) -> None:
    principal, agent = await owner_agent(kb)
    leave = await add(kb, principal, agent, LEAVE, title="Parental leave")
    await add(kb, principal, agent, SHIPPING, title="Shipping")
    await kb.run_worker()
    # Neither word of the question is in any document's text: only in one title.
    hits = await kb.container.search_knowledge()(principal.account_id, agent.id, "parental leave")
    assert [h.document_id for h in hits] == [leave]
    assert hits[0].relevance is not None and hits[0].relevance >= 0.5


async def test_an_off_topic_question_gets_the_fallback_without_the_model_or_metering(kb: Knowledge) -> None:
    principal, agent = await owner_agent(kb, fallback_message="Please ask the shop by e-mail.")
    await add(kb, principal, agent, "Refunds reach your card within fourteen days.", title="Refunds")
    await add(kb, principal, agent, SHIPPING, title="Shipping")
    await kb.run_worker()

    text, sources, stored, model = await ask(kb, agent, "football world cup 1966 winner")

    assert text == "Please ask the shop by e-mail." and sources == ()
    assert model.requests == []
    assert usage_entries(kb, agent) == []
    assert stored.status is MessageStatus.UNANSWERED and stored.prompt_tokens == 0

    # The same knowledge base answers an on-topic question through the model.
    text, sources, stored, model = await ask(kb, agent, "refunds card")
    assert len(model.requests) == 1 and stored.status is MessageStatus.COMPLETE
    assert [c.document_title for c in sources] == ["Refunds"]


async def test_assisted_mode_sends_only_passages_that_pass_the_gate(kb: Knowledge) -> None:
    principal, agent = await owner_agent(kb, answer_mode=AnswerMode.ASSISTED)
    await add(kb, principal, agent, "Refunds reach your card within fourteen days.", title="Refunds")
    await kb.run_worker()
    _, sources, _, model = await ask(kb, agent, "football world cup 1966 winner")
    assert len(model.requests) == 1  # assisted: the model answers from general knowledge
    assert "Refunds reach" not in model.requests[0].messages[0].content and sources == ()


async def test_citations_are_one_per_document_best_first_and_at_most_max_citations(kb: Knowledge) -> None:
    principal, agent = await owner_agent(kb, retrieval=AgentRetrieval(max_citations=2))
    # Three documents about refunds; the first has two sections (two chunks) about them.
    long_section = " ".join(["Refunds for orders reach the card within fourteen days."] * 60)
    first = await add(
        kb, principal, agent, f"# Cards\n\n{long_section}\n\n# Vouchers\n\n{long_section}", title="Refund rules"
    )
    second = await add(kb, principal, agent, "Refunds for orders reach vouchers in fourteen days.", title="Refunds")
    await add(kb, principal, agent, "Refunds for orders take fourteen days at most.", title="Refund delays")
    await kb.run_worker()
    hits = await kb.container.search_knowledge()(principal.account_id, agent.id, "refunds orders fourteen days")
    assert len({h.document_id for h in hits}) == 3
    assert sum(h.document_id == first for h in hits) >= 2  # several chunks of the first

    _, sources, stored, _ = await ask(kb, agent, "refunds orders fourteen days")

    ranked = list(dict.fromkeys(h.document_id for h in hits))[:2]
    assert [c.document_id for c in sources] == ranked  # one each, best first, two at most
    assert [c.number for c in sources] == [1, 2]
    assert second in {h.document_id for h in hits}
    assert stored.citations == sources
    assert all(c.url is None for c in sources)  # uploads have no link


async def test_only_the_sources_the_answer_cites_are_listed(kb: Knowledge) -> None:
    principal, agent = await owner_agent(kb)
    await add(kb, principal, agent, "Refunds for orders reach the card within fourteen days.", title="Refunds")
    await add(kb, principal, agent, "Refunds for orders take fourteen days at most.", title="Refund delays")
    await kb.run_worker()
    _, sources, _, model = await ask(
        kb, agent, "refunds orders fourteen days", ScriptedChatModel(reply=lambda r: "Fourteen days [2].")
    )
    system = model.requests[0].messages[0].content
    assert '<source id="1"' in system and '<source id="2"' in system and "in square brackets, like [1]" in system
    assert [c.number for c in sources] == [2]
    _, sources, _, _ = await ask(
        kb, agent, "refunds orders fourteen days", ScriptedChatModel(reply=lambda r: "Fourteen days.")
    )
    assert [c.number for c in sources] == [1, 2]  # none cited: every source sent


async def test_a_url_documents_citation_links_to_its_page(kb: Knowledge) -> None:
    principal, agent = await owner_agent(kb)
    await add(
        kb,
        principal,
        agent,
        "Refunds reach your card within fourteen days.",
        title="Refunds",
        url="https://shop.example/help/refunds",
    )
    await kb.run_worker()
    _, sources, _, _ = await ask(kb, agent, "refunds card")
    [citation] = sources
    assert (
        citation.url
        == "https://shop.example/help/refunds#:~:text=Refunds%20reach%20your%20card%20within%20fourteen%20days"
    )
    assert citation.excerpt == "Refunds reach your card within fourteen days."
