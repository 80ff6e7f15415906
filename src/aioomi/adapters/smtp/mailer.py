"""The production mailer: the standard library's SMTP client, run off the event loop."""

from __future__ import annotations

import asyncio
import email.message
import email.utils
import logging
import smtplib
import ssl

from aioomi.domain.model.errors import InvalidInput, Unavailable
from aioomi.domain.model.mail import EmailMessage

log = logging.getLogger(__name__)


class SmtpMailer:
    """See :class:`aioomi.ports.mailer.Mailer`. One connection per message: sign-up mail is
    rare, and a fresh connection never finds a relay that dropped an idle one.

    ``use_tls`` speaks TLS from the first byte (port 465); otherwise ``starttls`` upgrades a
    plain connection (port 587) and fails when the relay does not offer it, rather than sending
    the password in clear. Sign-in happens only when ``username`` is given. The password is
    never logged nor put in an error.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        starttls: bool = True,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if use_tls and starttls:
            raise ValueError("use_tls (implicit TLS) and starttls exclude each other")
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._use_tls, self._starttls, self._timeout = use_tls, starttls, timeout
        self._ssl_context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:
        return f"SmtpMailer(host={self._host!r}, port={self._port}, sender={self._sender!r})"

    async def send(self, message: EmailMessage) -> None:
        mime = self._mime(message)
        try:
            await asyncio.to_thread(self._deliver, mime)
        except (smtplib.SMTPException, OSError) as error:
            log.warning("mail to the relay %s:%s failed: %s", self._host, self._port, type(error).__name__)
            raise Unavailable(
                f"The mail relay {self._host}:{self._port} did not accept the message.",
                code="mail_unavailable",
            ) from error

    def _mime(self, message: EmailMessage) -> email.message.EmailMessage:
        mime = email.message.EmailMessage()
        try:
            mime["From"] = self._sender
            mime["To"] = message.to
            mime["Subject"] = message.subject
            mime["X-Aioomi-Kind"] = message.kind
        except ValueError as error:  # a CR or LF in a header: an injection attempt or a bug
            raise InvalidInput("The message has an invalid header.", code="invalid_email") from error
        mime["Date"] = email.utils.formatdate(localtime=False)
        domain = self._sender.rpartition("@")[2].strip("> ") or None
        mime["Message-ID"] = email.utils.make_msgid(domain=domain)
        mime.set_content(message.text)
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html")
        return mime

    def _deliver(self, mime: email.message.EmailMessage) -> None:
        if self._use_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._ssl_context
            )
        else:
            client = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with client:
            if self._starttls:
                client.starttls(context=self._ssl_context)
            if self._username is not None:
                client.login(self._username, self._password or "")
            client.send_message(mime)
