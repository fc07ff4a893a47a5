"""E-mail alert delivery over TLS to a real SMTP server (aiosmtpd) on loopback: STARTTLS with
AUTH, implicit TLS, a wrong password and an untrusted certificate refused (visible as the
delivery's error, never as a sent mail)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from network_inventory.alert_text import Message
from network_inventory.channels import Channel
from network_inventory.notify import DeliveryError, MailSender, MailSettings
from pendopo.tls import make_self_signed
from tests.conftest import free_port

USER, PASSWORD = "pendopo", "sandi-surel-2026"
CHANNEL = Channel(1, "email", "Piket TI", ("ti@sragenkab.go.id",), None, None,
                  frozenset(), frozenset({"down"}), None)  # fmt: skip
MESSAGE = Message("Pendopo: PUTUS: Kecamatan Kalijambe", "PUTUS: Kecamatan Kalijambe")


class Mailbox:
    def __init__(self) -> None:
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.contents.append(envelope.content)
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    files = make_self_signed(["localhost"], ["127.0.0.1"], tmp_path / "tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.cert, files.key)
    return files.cert, context


@pytest.fixture
def starttls_server(cert: tuple[Path, ssl.SSLContext]) -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(
        box, hostname="127.0.0.1", port=free_port(), tls_context=cert[1],
        require_starttls=True, authenticator=authenticate, auth_required=True,
    )  # fmt: skip
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


def settings(port: int, ca: Path | None, **kw: Any) -> MailSettings:
    values: dict[str, Any] = {"port": port, "security": "starttls", "user": USER,
                              "password": PASSWORD, "sender": "pendopo@sragenkab.go.id",
                              "ca_file": str(ca) if ca else None, **kw}  # fmt: skip
    return MailSettings("127.0.0.1", **values)


async def test_starttls_with_auth_delivers(
    starttls_server: tuple[Mailbox, int], cert: tuple[Path, ssl.SSLContext]
) -> None:
    box, port = starttls_server
    await MailSender(settings(port, cert[0]), 10).send(CHANNEL, MESSAGE)
    assert len(box.contents) == 1
    assert b"Subject: Pendopo: PUTUS: Kecamatan Kalijambe" in box.contents[0]


async def test_wrong_password_and_untrusted_certificate_are_errors(
    starttls_server: tuple[Mailbox, int], cert: tuple[Path, ssl.SSLContext]
) -> None:
    box, port = starttls_server
    with pytest.raises(DeliveryError, match="SMTP: SMTPAuthenticationError"):
        await MailSender(settings(port, cert[0], password="salah"), 10).send(CHANNEL, MESSAGE)
    with pytest.raises(DeliveryError, match="certificate verify failed"):
        await MailSender(settings(port, None), 10).send(CHANNEL, MESSAGE)
    with pytest.raises(DeliveryError, match="SMTP is not configured"):
        await MailSender(None, 10).send(CHANNEL, MESSAGE)
    assert box.contents == []


async def test_implicit_tls(cert: tuple[Path, ssl.SSLContext]) -> None:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), ssl_context=cert[1])
    controller.start()
    try:
        mail = settings(controller.port, cert[0], security="tls", user=None, password=None)
        await MailSender(mail, 10).send(CHANNEL, MESSAGE)
    finally:
        controller.stop()
    assert len(box.contents) == 1
