"""The Q&A use cases on the memory container, for the limits: a new pair and an edited one both
stay within the agent's characters (an edit counts its new text in place of the old), and a
failed import writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aioomi.container import container_in_memory, start, stop
from aioomi.domain.model.documents import KnowledgeBaseFull
from aioomi.domain.model.qa_pairs import InvalidQaImport, QaPairInput
from aioomi.entrypoints.worker.jobs import build_worker
from aioomi.settings import Settings
from tests.unit.knowledge_support import Knowledge, new_agent, use_test_embedders


@pytest.fixture
async def knowledge(tmp_path: Path) -> AsyncIterator[Knowledge]:
    container = container_in_memory(
        settings=Settings(data_dir=str(tmp_path / "aioomi"), log_format="console", agent_max_chars=120)
    )
    knowledge = use_test_embedders(container)
    await start(container)
    yield knowledge
    await stop(container)


async def test_an_edit_counts_its_new_text_in_place_of_the_old(knowledge: Knowledge) -> None:
    container = knowledge.container
    principal, agent = await new_agent(container)
    pair = await container.add_qa_pair()(principal, agent.id, QaPairInput(question="Q?", answer="a" * 60))
    await build_worker(container).run_until_idle()  # the document now counts its 60 characters
    # 60 - 60 + 110 = 110 characters: within the 120
    edited = await container.update_qa_pair()(
        principal, agent.id, pair.id, QaPairInput(question="Q?", answer="b" * 110)
    )
    assert edited.answer == "b" * 110
    await build_worker(container).run_until_idle()
    # 110 - 110 + 130 = 130: over
    with pytest.raises(KnowledgeBaseFull):
        await container.update_qa_pair()(principal, agent.id, pair.id, QaPairInput(question="Q?", answer="c" * 130))
    # a new pair of 20 characters on top of the 110: over too
    with pytest.raises(KnowledgeBaseFull):
        await container.add_qa_pair()(principal, agent.id, QaPairInput(question="Other?", answer="d" * 20))
    assert [p.answer for p in await container.list_qa_pairs()(principal, agent.id)] == ["b" * 110]


async def test_a_refused_import_writes_nothing(knowledge: Knowledge) -> None:
    container = knowledge.container
    principal, agent = await new_agent(container)
    with pytest.raises(InvalidQaImport):
        await container.import_qa_pairs()(principal, agent.id, b"question,answer\nQ1?,A1.\nQ2?,\n")
    # within the CSV's rules but over the characters: the first pair fits, the second does not
    with pytest.raises(KnowledgeBaseFull):
        await container.import_qa_pairs()(
            principal, agent.id, ("question,answer\nQ1?," + "a" * 100 + "\nQ2?," + "b" * 100 + "\n").encode()
        )
    assert await container.list_qa_pairs()(principal, agent.id) == []
    assert container.blob_store().blobs == {}  # the first pair's file was removed again
