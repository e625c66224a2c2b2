"""A real SMTP server for mail tests: aiosmtpd on 127.0.0.1, STARTTLS, AUTH, scripted failures.

``SMTPTestServer`` runs aiosmtpd's threaded ``Controller`` on a free port. It offers STARTTLS
with a certificate for ``127.0.0.1``/``localhost`` issued by a throwaway ``trustme`` CA (and, by
default, refuses mail before STARTTLS); with ``username``/``password`` it requires AUTH (PLAIN and
LOGIN, only after STARTTLS). Every accepted message is kept in ``received`` (envelope and parsed
email). ``fail_next(n, how, at=...)`` makes the next ``n`` transactions fail at MAIL, RCPT or DATA
with a 451 (temporary) or 550 (permanent) reply, or by dropping the connection without a reply;
``drop_connections()`` closes every open connection from the server side (an idle timeout).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Failure = Literal["451", "550", "drop"]
Stage = Literal["mail", "rcpt", "data"]
REPLIES = {"451": "451 4.3.0 Try again later", "550": "550 5.7.1 Message refused"}


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage


class _Controller(Controller):
    """Binds port 0 and learns the port the system chose before the readiness check."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPTestServer:
    def __init__(
        self,
        ca: trustme.CA,
        *,
        username: str | None = None,
        password: str | None = None,
        require_starttls: bool = True,
        mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN"),
    ) -> None:
        self.ca = ca
        self.username = username
        self.password = password
        self.received: list[Received] = []
        self.auth_attempts: list[tuple[str, str]] = []  # (mechanism, login)
        self.connections = 0
        self._failures: deque[tuple[Stage, Failure]] = deque()
        self._live: set[SMTP] = set()
        self._lock = threading.Lock()
        self._hold_after: int | None = None
        self.holding = threading.Event()  # set while a message waits, unanswered, in DATA
        self._released = threading.Event()
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
        self._controller = _Controller(
            self,
            hostname="127.0.0.1",
            port=0,
            server_hostname="localhost",
            tls_context=tls,
            require_starttls=require_starttls,
            authenticator=self._authenticate if username is not None else None,
            auth_required=username is not None,
            auth_require_tls=True,
            auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m not in mechanisms],
        )

    # lifecycle ---------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def client_tls_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's certificate."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def __enter__(self) -> SMTPTestServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    # scripting ---------------------------------------------------------------------------------

    def hold_after(self, count: int | None) -> None:
        """Once ``count`` messages were accepted, keep the next one waiting in DATA without a
        reply (``holding`` is set) until ``release()``; it is then refused with a 451. A client
        killed meanwhile has handed over a message the server never accepted."""
        self._hold_after = count
        self.holding.clear()
        self._released.clear()

    def release(self) -> None:
        self._hold_after = None
        self._released.set()

    def fail_next(self, count: int, how: Failure, *, at: Stage = "data") -> None:
        """Make the next ``count`` transactions fail at ``at`` in the way ``how``."""
        with self._lock:
            self._failures.extend([(at, how)] * count)

    def drop_connections(self) -> None:
        """Close every open client connection from the server side, as an idle timeout would."""

        async def abort_all() -> None:
            for server in list(self._live):
                if server.transport is not None:
                    server.transport.abort()
            self._live.clear()

        asyncio.run_coroutine_threadsafe(abort_all(), self._controller.loop).result(timeout=10)

    # aiosmtpd handler hooks (run in the server's event loop thread) -----------------------------

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        session.host_name = hostname
        if server not in self._live:
            self._live.add(server)
            with self._lock:
                self.connections += 1
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        failed = self._scripted(server, "mail")
        if failed:
            return failed
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        failed = self._scripted(server, "rcpt")
        if failed:
            return failed
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failed = self._scripted(server, "data")
        if failed:
            return failed
        if self._hold_after is not None and len(self.received) >= self._hold_after:
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.01)
            return REPLIES["451"]
        data = bytes(envelope.original_content or b"")
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(
                Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), data, message)
            )
        return "250 OK: queued"

    def _scripted(self, server: SMTP, stage: Stage) -> str | None:
        with self._lock:
            if not self._failures or self._failures[0][0] != stage:
                return None
            _, how = self._failures.popleft()
        if how == "drop":
            assert server.transport is not None
            server.transport.abort()  # no reply at all: the client sees the connection close
            self._live.discard(server)
            return "421 4.4.2 connection dropped (never sent)"
        return REPLIES[how]

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        login = data.login.decode(errors="replace") if isinstance(data, LoginPassword) else ""
        with self._lock:
            self.auth_attempts.append((mechanism, login))
        ok = (
            isinstance(data, LoginPassword)
            and self.username is not None
            and self.password is not None
            and data.login == self.username.encode()
            and data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False)
