"""The SMTP mailer against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, and STARTTLS
with sign-in; a refused connection and a rejected password become ``Unavailable``."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from aioomi.adapters.smtp.mailer import SmtpMailer
from aioomi.domain.model.errors import Unavailable
from aioomi.domain.model.mail import EmailMessage

SENDER = "Aioomi <no-reply@aioomi.example>"
PASSWORD = "relay-secret-9f2c"
MESSAGE = EmailMessage(
    to="ada@example.com",
    subject="Confirm your e-mail address",
    text="Open https://app.example/verify?token=abc to confirm.",
    html='<p><a href="https://app.example/verify?token=abc">Confirm</a></p>',
    kind="verify_email",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism: str, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"aioomi"
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


def serve(inbox: Inbox, **options) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def plain_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = serve(inbox)
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int, ssl.SSLContext]]:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = serve(
        inbox, tls_context=server_context, require_starttls=True, authenticator=authenticate, auth_required=True
    )
    yield inbox, controller.port, ssl.create_default_context(cafile=str(cert))
    controller.stop()


async def test_a_message_arrives_with_its_headers_and_both_bodies(plain_server) -> None:
    inbox, port = plain_server
    await SmtpMailer(host="127.0.0.1", port=port, sender=SENDER, starttls=False).send(MESSAGE)

    [envelope] = inbox.envelopes
    assert envelope.mail_from == "no-reply@aioomi.example"
    assert envelope.rcpt_tos == ["ada@example.com"]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["From"] == SENDER and received["To"] == "ada@example.com"
    assert received["Subject"] == "Confirm your e-mail address"
    assert received["X-Aioomi-Kind"] == "verify_email"
    assert received["Message-ID"].endswith("@aioomi.example>") and received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("plain",)).get_content().strip() == MESSAGE.text
    assert received.get_body(("html",)).get_content().strip() == MESSAGE.html


async def test_starttls_and_sign_in_deliver(tls_server) -> None:
    inbox, port, client_context = tls_server
    mailer = SmtpMailer(
        host="127.0.0.1", port=port, sender=SENDER, username="aioomi", password=PASSWORD, ssl_context=client_context
    )
    await mailer.send(EmailMessage(to="bob@example.com", subject="Reset", text="plain only", kind="reset_password"))
    [envelope] = inbox.envelopes
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received.get_content_type() == "text/plain" and received.get_content().strip() == "plain only"


async def test_a_refused_connection_is_unavailable() -> None:
    mailer = SmtpMailer(host="127.0.0.1", port=free_port(), sender=SENDER, starttls=False, timeout=2)
    with pytest.raises(Unavailable) as raised:
        await mailer.send(MESSAGE)
    assert raised.value.code == "mail_unavailable"


async def test_a_relay_without_starttls_is_left_before_signing_in(plain_server) -> None:
    inbox, port = plain_server
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender=SENDER, username="aioomi", password=PASSWORD)
    with pytest.raises(Unavailable) as raised:
        await mailer.send(MESSAGE)
    assert raised.value.code == "mail_unavailable" and inbox.envelopes == []


async def test_a_rejected_password_is_unavailable_and_never_logged(
    tls_server, caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port, client_context = tls_server
    wrong = "wrong-password-77aa"
    mailer = SmtpMailer(
        host="127.0.0.1", port=port, sender=SENDER, username="aioomi", password=wrong, ssl_context=client_context
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(Unavailable) as raised:
        await mailer.send(MESSAGE)
    assert raised.value.code == "mail_unavailable" and inbox.envelopes == []
    assert "mail to the relay" in caplog.text
    assert wrong not in caplog.text and wrong not in str(raised.value) and wrong not in repr(mailer)
