"""The development mailer: each message becomes a JSON file in a folder, and a log line.

Nothing leaves the machine. On a newcomer's first run (the embedded default bound to the
loopback) the log line carries the message's links, so they can click them; anywhere else it
names only the recipient and subject, since links carry sign-in tokens and logs travel. Tests
and other processes (an end-to-end test driving the server) read the folder with
:func:`read_outbox`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import time
from pathlib import Path

import msgspec

from aioomi.domain.model.errors import Unavailable
from aioomi.domain.model.mail import EmailMessage

log = logging.getLogger(__name__)

_LINK = re.compile(r"https?://[^\s<>\"')\]]+")


class OutboxMailer:
    """See :class:`aioomi.ports.mailer.Mailer`. Files are named
    ``<nanoseconds since the epoch>-<random>.json`` so their names sort by time of sending."""

    def __init__(self, directory: str | os.PathLike[str], *, log_links: bool = False) -> None:
        self.directory = Path(directory)
        self.log_links = log_links
        self._last_ns = 0

    async def send(self, message: EmailMessage) -> None:
        # Strictly increasing within a process even when the clock's resolution is coarse.
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
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


def read_outbox(directory: str | os.PathLike[str]) -> list[EmailMessage]:
    """Every message in the outbox folder, oldest first (empty when the folder is missing)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    return [msgspec.json.decode(p.read_bytes(), type=EmailMessage) for p in files]
