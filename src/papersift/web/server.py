"""The HTTP protocol ``papersift serve`` runs: uvicorn's httptools protocol with limits.

uvicorn bounds neither the size nor the number of request headers on its httptools protocol,
and times out only idle keep-alive connections: a client that sends a header slowly, or
connects and sends nothing, holds its connection for ever. This protocol adds:

- a request head (request line and headers) larger than ``max_header_bytes``, or with more than
  ``max_headers`` headers: 431; a request line (the target) longer than ``MAX_TARGET``: 414;
- a request head not complete ``header_timeout`` seconds after the connection opened or the
  request began: 408, and the connection is closed;
- a request body that stops arriving for ``body_timeout`` seconds: 408 (when the application
  has not answered yet), and the connection is closed.

Each refusal is answered at once and the connection closed, before the application sees the
request. The limits come from the settings (``configure``), in each worker process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

MAX_TARGET = 8192  # bytes of a request target (path and query), as nginx and most proxies


@dataclass(frozen=True, slots=True)
class Limits:
    max_header_bytes: int = 16_384
    max_headers: int = 100
    header_timeout: float = 10.0
    body_timeout: float = 30.0


_limits = Limits()


def configure(limits: Limits) -> None:
    """The limits of this process's connections (the app factory calls it in every worker)."""
    global _limits
    _limits = limits


class _Refused(Exception):
    """Stops the parser: the request was answered and the connection is closing."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = _limits
        self._refused = False
        self._head_done = False
        self._head_bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    # connection ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if not self._head_done:
            self._head_bytes += len(data)
        elif self.cycle is not None and self.cycle.more_body:
            self._arm(self.limits.body_timeout)  # the body keeps coming
        super().data_received(data)
        if self._refused or self._head_done:
            return
        if self._head_bytes > self.limits.max_header_bytes + MAX_TARGET:
            self._refuse(431, "request header fields too large")
        elif len(getattr(self, "url", b"")) > MAX_TARGET:
            self._refuse(414, "request target too long")
        elif self.headers is not None and len(self.headers) > self.limits.max_headers:
            self._refuse(431, "too many request header fields")

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # the parser stopped because this protocol refused the request
            self._disarm()
            super().send_400_response(msg)

    # parser callbacks ------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_done = False
        self._head_bytes = 0
        self._arm(self.limits.header_timeout)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if len(self.headers) > self.limits.max_headers:
            self._refuse(431, "too many request header fields")
            raise _Refused

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if len(self.url) > MAX_TARGET:
            self._refuse(414, "request target too long")
            raise _Refused
        if size - len(self.url) > self.limits.max_header_bytes:
            self._refuse(431, "request header fields too large")
            raise _Refused
        self._head_done = True
        self._head_bytes = 0
        self._disarm()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body and self._expects_body():
            self._arm(self.limits.body_timeout)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _expects_body(self) -> bool:
        for name, value in self.headers:
            if name == b"content-length":
                return value.strip() not in (b"", b"0")
            if name == b"transfer-encoding":
                return True
        return False

    # timers and refusals ---------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport is None or self.transport.is_closing():
            return
        if self._head_done and self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # the answer is under way: just stop waiting for the body
            return
        if self._head_done and self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self._refuse(408, "the request did not arrive in time")

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with a short plain-text body and close the connection."""
        if self._refused:
            return
        self._refused = True
        self._disarm()
        body = message.encode("ascii")
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        if not self.transport.is_closing():
            self.transport.write(b"".join(content))
            self.transport.close()
