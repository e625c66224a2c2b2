"""SMTPMailer against a real local SMTP server (aiosmtpd) with STARTTLS and AUTH."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

from papersift.errors import MailError, SettingsError
from papersift.features.digest_model import Digest, DigestItem, DigestSection
from papersift.features.email_render import render_digest
from papersift.features.mailer import SMTPMailer
from papersift.settings import Settings, load_settings
from tests.conftest import make_paper
from tests.smtp_server import SMTPTestServer

USER, PASSWORD = "digest-bot", "correct horse battery staple"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server(ca: trustme.CA) -> Iterator[SMTPTestServer]:
    with SMTPTestServer(ca, username=USER, password=PASSWORD) as running:
        yield running


def mailer_for(server: SMTPTestServer, **changes: object) -> SMTPMailer:
    options: dict[str, object] = {
        "username": USER,
        "password": PASSWORD,
        "ssl_context": server.client_tls_context(),
        "local_hostname": "localhost",
        "timeout": 10.0,
    }
    options.update(changes)
    return SMTPMailer(server.host, server.port, **options)  # type: ignore[arg-type]


def digest_message(number: int = 1) -> EmailMessage:
    paper = make_paper("2603.00001", title='Schr\\"odinger <b>Bridges</b>', authors=("A. Author",))
    digest = Digest(
        user_id=number,
        email=f"reader{number}@example.org",
        display_name="Réader Ünicode",
        day=date(2026, 3, 12),
        frequency="daily",
        sections=(DigestSection.of("for_you", [DigestItem(paper, 3, ("Because ✓",))]),),
    )
    return render_digest(
        digest,
        site_url="https://papers.example.org",
        unsubscribe_url=f"https://papers.example.org/unsubscribe/token-{number}",
        manage_url="https://papers.example.org/settings/email",
        sender="papersift <digest@papers.example.org>",
        message_id=f"<digest-{number}@papers.example.org>",
    )


def plain_message(to: str = "someone@example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "digest@papers.example.org"
    message["To"] = to
    message["Subject"] = "hello"
    message.set_content("hello")
    return message


def test_sends_through_starttls_and_auth_and_arrives_intact(server: SMTPTestServer) -> None:
    sent = digest_message()
    mailer_for(server).send(sent)

    assert len(server.received) == 1
    received = server.received[0]
    assert received.mail_from == "digest@papers.example.org"
    assert received.rcpt_tos == ("reader1@example.org",)
    assert server.auth_attempts == [("PLAIN", USER)]
    got = received.message
    for header in ("Subject", "From", "To", "Message-ID", "Date", "List-Unsubscribe"):
        assert got[header] == sent[header], header
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    for kind in ("plain", "html"):
        got_part, sent_part = got.get_body((kind,)), sent.get_body((kind,))
        assert isinstance(got_part, EmailMessage) and isinstance(sent_part, EmailMessage)
        assert got_part.get_content().replace("\r\n", "\n") == sent_part.get_content()
    assert "Schrödinger" in got.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_auth_login_mechanism(ca: trustme.CA) -> None:
    with SMTPTestServer(ca, username=USER, password=PASSWORD, mechanisms=("LOGIN",)) as server:
        mailer_for(server).send(plain_message())
        assert server.auth_attempts == [("LOGIN", USER)]
        assert len(server.received) == 1


def test_wrong_password_is_permanent(server: SMTPTestServer) -> None:
    with pytest.raises(MailError) as caught:
        mailer_for(server, password="wrong").send(plain_message())
    assert caught.value.temporary is False
    assert caught.value.code == 535
    assert "wrong" not in str(caught.value)
    assert server.received == []


def test_451_is_temporary(server: SMTPTestServer) -> None:
    server.fail_next(1, "451")
    with pytest.raises(MailError) as caught:
        mailer_for(server).send(plain_message())
    assert caught.value.temporary is True and caught.value.code == 451


def test_550_is_permanent_and_the_session_goes_on(server: SMTPTestServer) -> None:
    server.fail_next(1, "550", at="rcpt")
    with mailer_for(server).session() as session:
        with pytest.raises(MailError) as caught:
            session.send(plain_message("gone@example.org"))
        assert caught.value.temporary is False and caught.value.code == 550
        server.fail_next(1, "550", at="data")
        with pytest.raises(MailError) as caught:
            session.send(plain_message())
        assert caught.value.temporary is False and caught.value.code == 550
        session.send(plain_message("fine@example.org"))
    assert [r.rcpt_tos for r in server.received] == [("fine@example.org",)]
    assert server.connections == 1


def test_dropped_connection_is_temporary(server: SMTPTestServer) -> None:
    server.fail_next(1, "drop", at="data")
    with pytest.raises(MailError) as caught:
        mailer_for(server).send(plain_message())
    assert caught.value.temporary is True
    assert server.received == []


def test_connection_refused_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailError) as caught:
        SMTPMailer("127.0.0.1", port, timeout=10.0).send(plain_message())
    assert caught.value.temporary is True


def test_one_session_sends_many_over_one_connection(server: SMTPTestServer) -> None:
    with mailer_for(server).session() as session:
        for number in range(1, 4):
            session.send(digest_message(number))
        assert session.sent == 3
    assert [r.rcpt_tos for r in server.received] == [
        ("reader1@example.org",),
        ("reader2@example.org",),
        ("reader3@example.org",),
    ]
    assert server.connections == 1


def test_session_reconnects_when_the_server_dropped_an_idle_connection(
    server: SMTPTestServer,
) -> None:
    with mailer_for(server).session() as session:
        session.send(digest_message(1))
        server.drop_connections()
        session.send(digest_message(2))
        server.fail_next(1, "drop", at="mail")  # closed just as the next message starts
        session.send(digest_message(3))
    assert len(server.received) == 3
    assert server.connections == 3


def test_no_endless_reconnecting_and_no_resend_after_data(server: SMTPTestServer) -> None:
    with mailer_for(server).session() as session:
        session.send(plain_message())
        server.fail_next(2, "drop", at="mail")  # the reconnection is dropped too
        with pytest.raises(MailError) as caught:
            session.send(plain_message())
        assert caught.value.temporary is True
        server.fail_next(1, "drop", at="data")  # the server may have the message: no resend
        with pytest.raises(MailError):
            session.send(plain_message())
        session.send(plain_message())
    assert len(server.received) == 2


def test_unverifiable_certificate_is_refused_unless_verification_is_off(
    server: SMTPTestServer,
) -> None:
    with pytest.raises(MailError) as caught:
        mailer_for(server, ssl_context=None).send(plain_message())
    assert caught.value.temporary is False
    assert "PAPERSIFT_SMTP_TLS_VERIFY" in str(caught.value)
    assert server.auth_attempts == []  # the password never left
    mailer_for(server, ssl_context=None, tls_verify=False).send(plain_message())
    assert len(server.received) == 1


def test_server_requiring_starttls_refuses_a_plain_session(ca: trustme.CA) -> None:
    with SMTPTestServer(ca) as server:
        with pytest.raises(MailError) as caught:
            mailer_for(server, username=None, password=None, starttls=False).send(plain_message())
        assert caught.value.temporary is False and caught.value.code == 530
        mailer_for(server, username=None, password=None).send(plain_message())
        assert len(server.received) == 1


def test_mailer_from_settings(server: SMTPTestServer, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        smtp_host=server.host,
        smtp_port=server.port,
        smtp_username=USER,
        smtp_password=PASSWORD,  # type: ignore[arg-type]
        smtp_tls_verify=False,
        smtp_timeout=10,
    )
    mailer = SMTPMailer.from_settings(settings)
    assert (mailer.host, mailer.port, mailer.username) == (server.host, server.port, USER)
    assert PASSWORD not in repr(settings)
    mailer.send(plain_message())
    assert len(server.received) == 1


def test_mail_settings_defaults_and_validation(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.smtp_host == "localhost" and settings.smtp_port == 587
    assert settings.smtp_username is None and settings.smtp_password is None
    assert settings.smtp_starttls and settings.smtp_tls_verify
    assert settings.smtp_timeout == 30.0
    assert settings.mail_from == "papersift <papersift@localhost>"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert Settings(public_url="https://papers.example.org/").public_url == (
        "https://papers.example.org"
    )
    for bad in (
        {"public_url": "ftp://example.org"},
        {"public_url": "papers.example.org"},
        {"public_url": "https://example.org/?q=1"},
        {"smtp_port": 0},
        {"smtp_timeout": 0},
        {"smtp_host": "bad host"},
        {"mail_from": "not an address"},
        {"mail_from": "a@example.org, b@example.org"},
        {"mail_from": "x <a@example.org>\nBcc: b@example.org"},
    ):
        with pytest.raises(SettingsError):
            load_settings(data_dir=tmp_path, **bad)
    with pytest.raises(SettingsError, match="PAPERSIFT_SMTP_PASSWORD"):
        load_settings(data_dir=tmp_path, smtp_username="someone")
