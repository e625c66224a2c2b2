"""A scripted HTTP server for OAI-PMH client tests (stdlib only).

``ScriptedServer`` runs ``http.server.ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a
daemon thread. Each GET is answered by a ``Reply`` taken from a script: either a sequence
(consumed in order; running out is a test failure, answered with HTTP 418, which a client must
not retry) or a function of the request's query parameters. Every request's query parameters are
recorded in ``requests`` and its User-Agent in ``user_agents``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``drop`` closes the connection without answering at all."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0  # seconds to stall before answering (to provoke client timeouts)


Responder = Callable[[dict[str, str]], Reply]


class ScriptedServer:
    """Serves scripted replies and records the query parameters of every request."""

    def __init__(self, script: Iterable[Reply] | Responder) -> None:
        self.requests: list[dict[str, str]] = []
        self.user_agents: list[str | None] = []
        self._responder = script if callable(script) else _in_order(script)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/oai2"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _reply_to(self, query: dict[str, str], user_agent: str | None) -> Reply:
        with self._lock:
            self.requests.append(query)
            self.user_agents.append(user_agent)
            return self._responder(query)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                reply = server._reply_to(query, self.headers.get("User-Agent"))
                time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                # A client that timed out has gone away; nothing to report.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        return Handler


@contextmanager
def serve(script: Iterable[Reply] | Responder) -> Iterator[ScriptedServer]:
    """Run a ``ScriptedServer`` for the duration of a ``with`` block."""
    server = ScriptedServer(script)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _in_order(replies: Iterable[Reply]) -> Responder:
    remaining = iter(replies)

    def next_reply(query: dict[str, str]) -> Reply:
        return next(
            remaining, Reply(418, b"script exhausted: unexpected request " + repr(query).encode())
        )

    return next_reply
