"""The improvement loop's data in the owner's privacy rights (issue 19, part 7): visitors'
votes and comments come with their conversations in the export and go with them at erasure."""

from __future__ import annotations

import io
import json
import zipfile

from aioomi.container import Container
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.chat import ChatMessage, ChatSession, MessageStatus, Role
from aioomi.domain.model.feedback import Feedback, Rating
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup, WantingReason
from aioomi.domain.model.test_questions import ExpectationKind
from tests.unit.test_account_usecases import (  # noqa: F401 - fixtures
    clock,
    container,
    principal,
    signed_up,
)

VISITOR = "visitor_0123456789abcdef"


async def rated_conversation(container: Container, account_id: str, agent_id: str, comment: str) -> str:
    now = container.clock().now()
    session = ChatSession(
        id=new_id("ses"), account_id=account_id, agent_id=agent_id, visitor_id=VISITOR, created_at=now
    )
    question = ChatMessage(
        id=new_id("msg"),
        account_id=account_id,
        agent_id=agent_id,
        session_id=session.id,
        role=Role.USER,
        content="Do you ship to Norway?",
        created_at=now,
    )
    answer = ChatMessage(
        id=new_id("msg"),
        account_id=account_id,
        agent_id=agent_id,
        session_id=session.id,
        role=Role.ASSISTANT,
        content="Yes.",
        status=MessageStatus.COMPLETE,
        reply_to=question.id,
        created_at=now,
    )
    async with container.uow()(account_id=account_id) as uow:
        await uow.chat_sessions.add(session)
        await uow.chat_messages.add(question)
        await uow.chat_messages.add(answer)
        await uow.feedback.rate(
            account_id, answer.id, Feedback(rating=Rating.DOWN, comment=comment, given_at=now, updated_at=now)
        )
        await uow.commit()
    return answer.id


async def export_files(container: Container, who) -> zipfile.ZipFile:
    """The archive of the workspace ``who`` acts in (the improvement loop is the workspace's)."""
    export = await container.request_workspace_export()(who, who.workspace_id)
    await container.build_export()(who.account_id, export.id)
    link = await container.issue_export_link()(who, export.id)
    _, handle = await container.download_export()(link.url.split("token=")[1])
    with handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


async def test_the_owners_export_holds_visitors_votes_and_comments(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    answer_id = await rated_conversation(container, who.account_id, agent.id, "We ship to Norway since May.")
    archive = await export_files(container, who)
    [conversation] = json.loads(archive.read("conversations.json"))
    [answer] = [m for m in conversation["messages"] if m["id"] == answer_id]
    assert (answer["feedback"]["rating"], answer["feedback"]["comment"]) == ("down", "We ship to Norway since May.")


async def test_the_owners_export_holds_curated_settings_and_question_groups(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await container.set_curated_settings()(who, agent.id, mode="direct", threshold=0.75)
    now = container.clock().now()
    group = QuestionGroup(
        id=new_id("qgr"),
        account_id=who.account_id,
        agent_id=agent.id,
        key="norway",
        label="Norway?",
        count=2,
        examples=("Norway?", "norway shipping"),
        reasons=(WantingReason.UNANSWERED,),
        first_seen=now,
        last_seen=now,
        status=GroupStatus.DISMISSED,
        updated_at=now,
    )
    async with container.uow()(account_id=who.account_id) as uow:
        await uow.question_groups.replace_open(who.account_id, agent.id, [group])
        await uow.commit()
    archive = await export_files(container, who)
    manifest = {f["name"] for f in json.loads(archive.read("manifest.json"))["files"]}
    assert "improvement_loop.json" in manifest
    [mine] = json.loads(archive.read("improvement_loop.json"))
    assert mine["agent_id"] == agent.id  # each entry names its agent
    assert mine["curated_settings"] == {"mode": "direct", "threshold": 0.75}
    assert [(g["label"], g["examples"], g["status"]) for g in mine["question_groups"]] == [
        ("Norway?", ["Norway?", "norway shipping"], "dismissed")
    ]


async def test_erasure_leaves_nothing_of_the_improvement_loop(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    await rated_conversation(container, who.account_id, agent.id, "A comment to erase.")
    await container.set_curated_settings()(who, agent.id, mode="direct", threshold=0.75)
    await container.create_test_question()(who, agent.id, question="Norway?", kind=ExpectationKind.FALLS_BACK)
    await container.run_test_questions()(who.account_id, agent.id)
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.erase_account(who.account_id)
        await uow.commit()
    for table in ("chat_messages", "agent_curated_answers", "question_groups", "test_questions", "test_runs"):
        assert [r for r in container.memory_database().table(table).values() if who.account_id in repr(r)] == [], table


async def test_the_owners_export_holds_test_questions_and_runs(container: Container) -> None:
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    asked = await container.create_test_question()(
        who, agent.id, question="Shipping to Norway?", kind=ExpectationKind.FALLS_BACK
    )
    summary = await container.run_test_questions()(who.account_id, agent.id)
    archive = await export_files(container, who)
    [mine] = json.loads(archive.read("improvement_loop.json"))
    assert [(q["id"], q["question"], q["kind"]) for q in mine["test_questions"]] == [
        (asked.id, "Shipping to Norway?", "falls_back")
    ]
    assert [r["id"] for r in mine["test_runs"]] == [summary["run_id"]]
    assert [(r["question_id"], r["outcome"]) for r in mine["test_runs"][0]["results"]] == [(asked.id, "passed")]
