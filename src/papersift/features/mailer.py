"""Sending email over SMTP: STARTTLS, AUTH, one connection for many messages, clear failures.

    mailer = SMTPMailer.from_settings(settings)
    with mailer.session() as session:
        for message in messages:
            session.send(message)  # raises MailError; the session stays usable after one

Every failure is a ``MailError`` whose ``temporary`` says whether trying again later may work:
4xx replies, refused, dropped or timed-out connections are temporary; 5xx replies (wrong
credentials, a refused recipient, sender or message), a certificate that fails verification and
a server without a required extension (STARTTLS, AUTH) are permanent.

A session reconnects by itself when the server closed the connection between two messages (idle
timeout, a ``421`` reply) and sends the message again, but only when the server had not yet
been given the message (nothing past ``RCPT``), so a message is never delivered twice that way.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import EmailMessage
from typing import TYPE_CHECKING

from papersift.errors import MailError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from papersift.settings import Settings


class SMTPMailer:
    """Where and how to send: server, port, credentials, TLS; opens sessions."""

    def __init__(
        self,
        host: str = "localhost",
        port: int = 587,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        tls_verify: bool = True,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        """``ssl_context`` overrides ``tls_verify`` (tests pass one that trusts their own CA);
        ``local_hostname`` is the name sent with EHLO (default: this machine's FQDN)."""
        if username is not None and password is None:
            raise ValueError("an SMTP username needs a password")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout
        self.ssl_context = ssl_context or tls_context(verify=tls_verify)
        self.local_hostname = local_hostname

    @classmethod
    def from_settings(cls, settings: Settings) -> SMTPMailer:
        password = settings.smtp_password
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username or None,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.smtp_starttls,
            tls_verify=settings.smtp_tls_verify,
            timeout=settings.smtp_timeout,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: EmailMessage) -> None:
        """Send one message on a connection of its own."""
        with self.session() as session:
            session.send(message)

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        """A session sending any number of messages over one connection, closed at the end.

        The connection is opened by the first ``send``, so a connection failure is a
        ``MailError`` from ``send``.
        """
        session = MailSession(self)
        try:
            yield session
        finally:
            session.close()

    def _connect(self) -> _SMTP:
        what = f"cannot connect to the SMTP server {self.address}"
        try:  # connecting in the constructor also names the host that STARTTLS verifies
            smtp = _SMTP(self.host, self.port, self.local_hostname, self.timeout)
        except OSError as exc:
            raise mail_error(exc, what) from exc
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.starttls:
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
            if self.username is not None and self._password is not None:
                smtp.login(self.username, self._password)
        except OSError as exc:  # SMTPException, ssl.SSLError and socket errors are all OSErrors
            _close(smtp)
            raise mail_error(exc, what) from exc
        return smtp


class MailSession:
    """One connection (re-opened when needed) sending messages in turn; not thread-safe."""

    def __init__(self, mailer: SMTPMailer) -> None:
        self._mailer = mailer
        self._smtp: _SMTP | None = None
        self.sent = 0

    def send(self, message: EmailMessage) -> None:
        """Send ``message`` to the recipients in its To/Cc/Bcc headers; raises MailError.

        When the server refuses some recipients but accepts others, the message goes to those it
        accepted and no error is raised (a digest has a single recipient).
        """
        retried = False
        while True:
            if self._smtp is not None and self._smtp.sock is None:
                self._smtp = None  # closed by smtplib after an error
            reused = self._smtp is not None
            smtp = self._smtp or self._mailer._connect()
            self._smtp = smtp
            smtp.data_started = False
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:  # smtplib reset; connection still fine
                raise mail_error(exc, f"{self._mailer.address} refused the recipients") from exc
            except OSError as exc:
                dropped = _dropped(exc)
                if dropped or not isinstance(exc, smtplib.SMTPResponseException):
                    self._discard()  # its state is unknown: start again on a new connection
                if dropped and reused and not retried and not smtp.data_started:
                    retried = True
                    continue
                raise mail_error(exc, f"sending through {self._mailer.address} failed") from exc
            self.sent += 1
            return

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open (errors are ignored)."""
        if self._smtp is not None and self._smtp.sock is not None:
            with suppress(OSError):
                self._smtp.quit()
        self._discard()

    def _discard(self) -> None:
        if self._smtp is not None:
            _close(self._smtp)
            self._smtp = None


def tls_context(*, verify: bool = True) -> ssl.SSLContext:
    """The default client context (system CAs, host name checked), or one that checks nothing."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def mail_error(exc: OSError, what: str) -> MailError:
    """``exc`` as a MailError saying whether trying again later may work."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.items())
        codes = [code for _, (code, _) in replies]
        detail = "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in replies)
        temporary = bool(codes) and all(400 <= code < 500 for code in codes)
        return MailError(f"{what}: {detail}", temporary=temporary, code=codes[0] if codes else None)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        # -1: a reply smtplib could not parse; treat like a broken connection.
        temporary = code == -1 or 400 <= code < 500
        return MailError(f"{what}: {code} {_text(exc.smtp_error)}", temporary=temporary, code=code)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(f"{what}: the server closed the connection ({exc})", temporary=True)
    if isinstance(exc, smtplib.SMTPException):  # a missing extension: STARTTLS, AUTH, SMTPUTF8
        return MailError(f"{what}: {exc}", temporary=False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = "PAPERSIFT_SMTP_TLS_VERIFY=false accepts it, for development only"
        return MailError(
            f"{what}: its TLS certificate failed verification ({exc.verify_message}); {hint}",
            temporary=False,
        )
    return MailError(f"{what}: {exc or type(exc).__name__}", temporary=True)


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP noting whether the message itself was started (DATA) in this transaction."""

    data_started = False

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)


def _dropped(exc: OSError) -> bool:
    """Whether the server closed the connection (so a fresh one may well work)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421


def _close(smtp: smtplib.SMTP) -> None:
    with suppress(OSError):
        smtp.close()


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
