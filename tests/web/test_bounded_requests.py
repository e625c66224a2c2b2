"""The protocol ``papersift serve`` runs bounds request heads and slow clients (431, 414, 408)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import uvicorn

from papersift.web import server


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 with the size of the body it read."""
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    server.configure(server.Limits(max_header_bytes=4096, header_timeout=0.5, body_timeout=0.5))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        echo_app,
        host="127.0.0.1",
        port=port,
        http=server.BoundedHttpToolsProtocol,
        lifespan="off",
        log_level="warning",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield "127.0.0.1", port
    instance.should_exit = True
    thread.join(timeout=5)
    server.configure(server.Limits())


def exchange(address: tuple[str, int], *pieces: bytes, pause: float = 0.0) -> tuple[bytes, float]:
    """Send ``pieces`` (``pause`` seconds apart) and read until the server closes; the answer
    and the seconds from connecting to the close."""
    started = time.perf_counter()
    with socket.create_connection(address, timeout=5) as connection:
        for piece in pieces:
            with contextlib.suppress(OSError):
                connection.sendall(piece)
            time.sleep(pause)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := connection.recv(65536):
                answer += chunk
    return answer, time.perf_counter() - started


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_a_normal_request_and_keep_alive(address: tuple[str, int]) -> None:
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    last = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer, _ = exchange(address, request + last)
    assert answer.count(b"HTTP/1.1 200") == 2 and b"\r\n\r\n1\r\n5\r\n" in answer


def test_large_heads_are_refused_with_431_at_once(address: tuple[str, int]) -> None:
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
    answer, seconds = exchange(address, big)
    assert status(answer) == 431 and seconds < 1
    # the same head arriving in pieces is refused before it ends
    pieces = [big[i : i + 2048] for i in range(0, 20_000, 2048)]
    answer, _ = exchange(address, *pieces, pause=0.005)
    assert status(answer) == 431
    many = b"".join(b"X-H%d: v\r\n" % n for n in range(150))
    answer, _ = exchange(address, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert status(answer) == 431
    answer, _ = exchange(address, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status(answer) == 414
    # a head just under the limit is served
    fine = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Ok: " + b"a" * 3000 + b"\r\n\r\n"
    assert status(exchange(address, fine)[0]) == 200


def test_slow_and_silent_clients_get_408_within_the_timeout(address: tuple[str, int]) -> None:
    answer, seconds = exchange(address)  # connects, says nothing
    assert status(answer) == 408 and 0.4 < seconds < 1.5
    trickle = [b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: 1\r\n", b"X-B: 2\r\n", b"X-C: 3\r\n"]
    answer, seconds = exchange(address, *trickle, pause=0.2)
    assert status(answer) == 408 and seconds < 1.5
    body = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    answer, seconds = exchange(address, body, b"a" * 10)  # the rest of the body never comes
    assert status(answer) == 408 and seconds < 1.5


def test_an_idle_keep_alive_connection_is_closed(address: tuple[str, int]) -> None:
    async def run() -> bytes:
        reader, writer = await asyncio.open_connection(*address)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), timeout=10)  # until the server closes
        writer.close()
        return answer

    # In a thread of its own: a browser test earlier in this process may have left this
    # thread's event loop running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(asyncio.run, run()).result()
    assert status(answer) == 200
