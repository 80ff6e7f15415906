"""The development mailer: each message becomes a JSON file in a folder, and a log line.

Nothing leaves the machine. On a newcomer's first run (the embedded default bound to the
loopback) the log line carries the message's links, so they can click them; anywhere else it
names only the recipient and subject, since links carry sign-in tokens and logs travel. Tests
and other processes (an end-to-end test driving the server) read the folder with
:func:`read_outbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from aioomi.domain.model.errors import Unavailable
from aioomi.domain.model.mail import EmailMessage

log = logging.getLogger(__name__)

_LINK = re.compile(r"https?://[^\s<>\"')\]]+")


class OutboxMailer:
    """See :class:`aioomi.ports.mailer.Mailer` and :class:`aioomi.ports.privacy.KeptMail`.
    Files are named ``<nanoseconds since the epoch>-<random>.json`` (the time of sending, by
    ``clock`` when given) so their names sort by time of sending and the retention sweep reads
    their age from the name."""

    def __init__(self, directory: str | os.PathLike[str], clock: Any = None, *, log_links: bool = False) -> None:
        self.directory = Path(directory)
        self._clock = clock
        self.log_links = log_links
        self._last_ns = 0

    def _now_ns(self) -> int:
        if self._clock is None:
            return time.time_ns()
        return int(self._clock.now().timestamp() * 1_000_000) * 1_000

    async def send(self, message: EmailMessage) -> None:
        # Strictly increasing within a process even when the clock's resolution is coarse.
        self._last_ns = max(self._now_ns(), self._last_ns + 1)
        name = f"{self._last_ns:020d}-{secrets.token_hex(4)}.json"
        try:
            await asyncio.to_thread(self._write, name, msgspec.json.encode(message))
        except OSError as error:
            raise Unavailable("The outbox folder cannot be written.", code="mail_unavailable") from error
        if not self.log_links:
            log.info("mail to %s: %s (in the outbox folder)", message.to, message.subject)
            return
        links = " ".join(link.rstrip(".,;:!?") for link in _LINK.findall(message.text))
        log.info("mail to %s: %s%s", message.to, message.subject, f" {links}" if links else "")

    def _write(self, name: str, body: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{name}.partial"
        partial.write_bytes(body)
        partial.replace(self.directory / name)  # atomic: a reader never sees half a message

    async def purge_sent_before(self, before: datetime) -> int:
        limit_ns = int(before.timestamp() * 1_000_000) * 1_000
        return await asyncio.to_thread(self._purge, lambda path: _sent_ns(path) < limit_ns)

    async def purge_addressed_to(self, address: str) -> int:
        wanted = address.strip().lower()
        return await asyncio.to_thread(self._purge, lambda path: _addressee(path) == wanted)

    def _purge(self, doomed: Any) -> int:
        if not self.directory.is_dir():
            return 0
        removed = 0
        for path in sorted(self.directory.iterdir()):
            if path.suffix == ".json" and not path.name.startswith(".") and doomed(path):
                with contextlib.suppress(FileNotFoundError):  # another worker removed it first
                    path.unlink()
                    removed += 1
        return removed


def _sent_ns(path: Path) -> int:
    head = path.name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0  # a stranger's file: old enough to go


def _addressee(path: Path) -> str | None:
    try:
        return msgspec.json.decode(path.read_bytes(), type=EmailMessage).to.strip().lower()
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def read_outbox(directory: str | os.PathLike[str]) -> list[EmailMessage]:
    """Every message in the outbox folder, oldest first (empty when the folder is missing)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    return [msgspec.json.decode(p.read_bytes(), type=EmailMessage) for p in files]
