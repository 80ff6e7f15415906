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
from tests.unit.test_account_usecases import (  # noqa: F401 - fixtures
    clock,
    container,
    principal,
    signed_up,
)

VISITOR = "visitor_0123456789abcdef"


async def rated_conversation(container: Container, account_id: str, agent_id: str, comment: str) -> str:
    now = container.clock().now()
    session = ChatSession(id=new_id("ses"), account_id=account_id, agent_id=agent_id, visitor_id=VISITOR,
                          created_at=now)
    question = ChatMessage(id=new_id("msg"), account_id=account_id, agent_id=agent_id, session_id=session.id,
                           role=Role.USER, content="Do you ship to Norway?", created_at=now)
    answer = ChatMessage(id=new_id("msg"), account_id=account_id, agent_id=agent_id, session_id=session.id,
                         role=Role.ASSISTANT, content="Yes.", status=MessageStatus.COMPLETE, reply_to=question.id,
                         created_at=now)
    async with container.uow()(account_id=account_id) as uow:
        await uow.chat_sessions.add(session)
        await uow.chat_messages.add(question)
        await uow.chat_messages.add(answer)
        await uow.feedback.rate(account_id, answer.id, Feedback(rating=Rating.DOWN, comment=comment, given_at=now,
                                                                updated_at=now))
        await uow.commit()
    return answer.id


async def export_files(container: Container, who) -> zipfile.ZipFile:  # noqa: ANN001
    export = await container.request_export()(who)
    await container.build_export()(who.account_id, export.id)
    link = await container.issue_export_link()(who, export.id)
    _, handle = await container.download_export()(link.url.split("token=")[1])
    with handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


async def test_the_owners_export_holds_visitors_votes_and_comments(container: Container) -> None:  # noqa: F811
    owner = await signed_up(container, "ada@example.com")
    who = principal(owner)
    agent = await container.create_agent()(who, AgentSettings(name="Helper"))
    answer_id = await rated_conversation(container, who.account_id, agent.id, "We ship to Norway since May.")
    archive = await export_files(container, who)
    [conversation] = json.loads(archive.read("conversations.json"))
    [answer] = [m for m in conversation["messages"] if m["id"] == answer_id]
    assert (answer["feedback"]["rating"], answer["feedback"]["comment"]) == ("down", "We ship to Norway since May.")
