"""Bounded requests against a real ``papersift serve`` on loopback.

1. One request with a 64 KB header: answered 431 within a second (and the server goes on).
2. One request with 1,000 headers: 431; a request target of 16 KB: 414.
3. 100 slowloris connections (a request line, then one header byte a second, never the end of
   the head): each is answered 408 and closed within ``PAPERSIFT_REQUEST_HEADER_TIMEOUT``
   (set to ``--timeout``, 5 s here) plus a second, while normal requests keep their latency
   (the median of ``/api/status`` before and during the attack).

The store is a new, empty data directory; the server runs with one worker. Exits 1 when a bar
is missed. Usage: python -m bench.bounded_requests [--connections 100] [--timeout 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import web_load


def _raw(host: str, port: int, payload: bytes, timeout: float = 10.0) -> tuple[int, float]:
    """Send ``payload`` on a new connection; the status of the answer and the seconds it took
    (0 when the server closed without an answer)."""
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout) as connection:
        with contextlib.suppress(OSError):  # the server may close while we are still sending
            connection.sendall(payload)
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    seconds = time.perf_counter() - started
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, seconds


def _latency_ms(base: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, _ = web_load.get(f"{base}/api/status", timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            sys.exit(f"/api/status answered {status}")
    return times


def slowloris(host: str, port: int, connections: int, timeout: float) -> dict[str, Any]:
    closed_after: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def attack() -> None:
        started = time.perf_counter()
        status = 0
        try:
            with socket.create_connection((host, port), timeout=timeout * 4) as connection:
                connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                connection.setblocking(False)
                answer = b""
                sent_at = time.perf_counter()
                while time.perf_counter() - started < timeout * 4:
                    try:
                        chunk = connection.recv(4096)
                        if not chunk:
                            break
                        answer += chunk
                        continue
                    except BlockingIOError:
                        pass
                    if time.perf_counter() - sent_at >= 1.0:  # one byte a second
                        sent_at = time.perf_counter()
                        try:
                            connection.send(b"a")
                        except OSError:
                            break
                    time.sleep(0.02)
                if answer.startswith(b"HTTP/"):
                    status = int(answer.split(b" ", 2)[1])
        except OSError:
            pass
        with lock:
            closed_after.append(time.perf_counter() - started)
            statuses.append(status)

    before = _latency_ms(f"http://{host}:{port}", 20)
    threads = [threading.Thread(target=attack) for _ in range(connections)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    during = _latency_ms(f"http://{host}:{port}", 20)
    for thread in threads:
        thread.join()
    return {
        "connections": connections,
        "timeout_s": timeout,
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "closed_after_max_s": round(max(closed_after), 2),
        "closed_after_min_s": round(min(closed_after), 2),
        "status_p50_ms_before": round(statistics.median(before), 1),
        "status_p50_ms_during": round(statistics.median(during), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=5.0, help="header timeout, seconds")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="papersift-bounded-") as scratch:
        folder = Path(scratch)
        env = web_load.child_env(
            PAPERSIFT_EMBED_IN_BACKGROUND="false",
            PAPERSIFT_EMBEDDER_BACKEND="none",
            PAPERSIFT_REQUEST_HEADER_TIMEOUT=str(args.timeout),
        )
        index = web_load.papersift(folder / "data", "index", "--no-semantic")
        subprocess.run(index, env=env, check=True, capture_output=True)
        with web_load.running_server(folder / "data", 1, folder / "server.log", env) as (base, _):
            host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
            big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
            big_status, big_seconds = _raw(host, port, big)
            many = b"".join(b"X-H%d: v\r\n" % number for number in range(1000))
            many_status, _ = _raw(host, port, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
            target = b"GET /search?q=" + b"a" * 16384 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            target_status, _ = _raw(host, port, target)
            after_status, _ = web_load.get(f"{base}/api/status")
            slow = slowloris(host, port, args.connections, args.timeout)
    result = {
        "header_64kb": {"status": big_status, "seconds": round(big_seconds, 3)},
        "headers_1000": {"status": many_status},
        "target_16kb": {"status": target_status},
        "next_request_status": after_status,
        "slowloris": slow,
    }
    bars = {
        "64kb_header_431_within_1s": big_status == 431 and big_seconds < 1.0,
        "1000_headers_431": many_status == 431,
        "16kb_target_414": target_status == 414,
        "server_answers_after": after_status == 200,
        "slowloris_closed_within_timeout": slow["closed_after_max_s"] <= args.timeout + 1.0,
        "slowloris_got_408": slow["statuses"].get("408", 0) == args.connections,
        "latency_kept": slow["status_p50_ms_during"]
        <= max(2 * slow["status_p50_ms_before"], slow["status_p50_ms_before"] + 20),
    }
    result["bars"] = bars
    print(f"64 KB header: {big_status} in {big_seconds * 1000:.1f} ms; 1,000 headers: "
          f"{many_status}; 16 KB target: {target_status}; then: {after_status}")  # fmt: skip
    print(f"{args.connections} slowloris connections (header timeout {args.timeout} s): "
          f"answers {slow['statuses']}, closed after {slow['closed_after_min_s']} to "
          f"{slow['closed_after_max_s']} s; /api/status p50 {slow['status_p50_ms_before']} ms "
          f"before, {slow['status_p50_ms_during']} ms during")  # fmt: skip
    for name, ok in bars.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    sys.exit(0 if all(bars.values()) else 1)


if __name__ == "__main__":
    main()
