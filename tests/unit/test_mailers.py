"""The memory and outbox mailers: what was sent can be read back, in order."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from aioomi.adapters.local.outbox_mailer import OutboxMailer, read_outbox
from aioomi.adapters.memory.mailer import InMemoryMailer
from aioomi.domain.model.errors import Unavailable
from aioomi.domain.model.mail import EmailMessage


def message(n: int, **changes: str) -> EmailMessage:
    fields = {"to": f"user{n}@example.com", "subject": f"Message {n}", "text": f"Body {n}", "kind": "verify_email"}
    return EmailMessage(**{**fields, **changes})


async def test_memory_mailer_keeps_messages_in_order_and_can_fail() -> None:
    mailer = InMemoryMailer()
    await mailer.send(message(1))
    await mailer.send(message(2))
    assert mailer.sent == [message(1), message(2)]
    mailer.failing = True
    with pytest.raises(Unavailable) as raised:
        await mailer.send(message(3))
    assert raised.value.code == "mail_unavailable" and len(mailer.sent) == 2


async def test_outbox_writes_one_json_file_per_message_read_back_oldest_first(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    mailer = OutboxMailer(outbox)
    sent = [message(n, html=f"<p>{n}</p>") if n % 2 else message(n) for n in range(30)]
    for m in sent:
        await mailer.send(m)
    files = sorted(outbox.iterdir())
    assert len(files) == 30 and all(f.suffix == ".json" for f in files)
    assert json.loads(files[0].read_text()) == {
        "to": "user0@example.com",
        "subject": "Message 0",
        "text": "Body 0",
        "kind": "verify_email",
        "html": None,
    }
    assert read_outbox(outbox) == sent


async def test_two_outbox_mailers_on_one_folder_interleave_by_time(tmp_path: Path) -> None:
    first, second = OutboxMailer(tmp_path), OutboxMailer(tmp_path)
    await first.send(message(1))
    await asyncio.sleep(0.002)
    await second.send(message(2))
    await asyncio.sleep(0.002)
    await first.send(message(3))
    assert [m.subject for m in read_outbox(tmp_path)] == ["Message 1", "Message 2", "Message 3"]


def test_reading_a_missing_outbox_finds_nothing(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "never-written") == []


async def test_outbox_logs_recipient_subject_and_links_when_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Confirm at https://app.example/verify?token=abc.\nOr ignore (see https://app.example/help)."
    with caplog.at_level(logging.INFO):
        await OutboxMailer(tmp_path, log_links=True).send(message(1, text=text, subject="Confirm your address"))
    [line] = [r.getMessage() for r in caplog.records if r.name == "aioomi.adapters.local.outbox_mailer"]
    assert line == (
        "mail to user1@example.com: Confirm your address https://app.example/verify?token=abc https://app.example/help"
    )


async def test_outbox_logs_no_link_by_default(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = "Confirm at https://app.example/verify?token=abc."
    with caplog.at_level(logging.DEBUG):
        await OutboxMailer(tmp_path).send(message(1, text=text, subject="Confirm your address"))
    [line] = [r.getMessage() for r in caplog.records if r.name == "aioomi.adapters.local.outbox_mailer"]
    assert line == "mail to user1@example.com: Confirm your address (in the outbox folder)"


async def test_an_unwritable_outbox_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(Unavailable) as raised:
        await OutboxMailer(blocker / "outbox").send(message(1))
    assert raised.value.code == "mail_unavailable"
