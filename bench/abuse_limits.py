"""Abuse limits against a real ``papersift serve`` on loopback.

1. 40 concurrent sign-ups from one client: at most ``PAPERSIFT_SIGNUPS_PER_HOUR`` succeed (201),
   the rest get 429, and the worker's resident memory (sampled every 10 ms) stays under 600 MB
   (each argon2id hash takes 64 MiB; the bounded pool runs two at once).
2. 40 parallel wrong logins against one account from one client: at most
   ``PAPERSIFT_LOGIN_MAX_FAILURES`` are checked (401), the rest get 429; right after, the owner
   logs in from another client (a second loopback address, 127.0.0.2) at once.

The store is a new, empty data directory (the limits do not depend on the papers), or --data-dir;
the server runs with one worker and no background embedding. Exits 1 when a bar is missed.
Usage: python -m bench.abuse_limits [--attempts 40] [--data-dir DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench import web_load

RSS_LIMIT_MB = 600.0
SIGNUPS_PER_HOUR = 5
LOGIN_MAX_FAILURES = 5
OTHER_CLIENT = "127.0.0.2"


def _client(base: str, local_address: str = "127.0.0.1") -> tuple[httpx.Client, str]:
    """A client with its CSRF cookie, and the token to send back."""
    client = httpx.Client(
        base_url=base, timeout=120.0, transport=httpx.HTTPTransport(local_address=local_address)
    )
    token = client.get("/api/auth/csrf").json()["csrf_token"]
    return client, token


def _burst(count: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(count)

    def run(number: int) -> Any:
        barrier.wait()
        return call(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


class RssSampler:
    """The largest resident set size of a process and its children, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self.process.memory_info().rss
            self.peak = max(self.peak, rss)
            self._stop.wait(0.01)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def sign_up_burst(base: str, pid: int, attempts: int) -> dict[str, Any]:
    password = f"bench {secrets.token_hex(8)} passphrase"
    run = secrets.token_hex(3)  # new addresses on every run, also on a store used before
    clients = [_client(base) for _ in range(attempts)]
    before = psutil.Process(pid).memory_info().rss

    def sign_up(number: int) -> int:
        client, token = clients[number]
        email = f"bench-{run}-{number}@example.org"
        body = {"email": email, "password": password, "display_name": "B"}
        return client.post(
            "/api/auth/signup", json=body, headers={"X-CSRF-Token": token}
        ).status_code

    started = time.perf_counter()
    with RssSampler(pid) as sampler:
        statuses = _burst(attempts, sign_up)
    seconds = time.perf_counter() - started
    for client, _ in clients:
        client.close()
    counts = Counter(statuses)
    return {
        "attempts": attempts,
        "statuses": dict(sorted(counts.items())),
        "succeeded": counts[201],
        "refused_429": counts[429],
        "rss_before_mb": round(before / 2**20, 1),
        "rss_peak_mb": round(sampler.peak / 2**20, 1),
        "seconds": round(seconds, 2),
        "password": password,
        "first_account": next(
            (f"bench-{run}-{n}@example.org" for n, s in enumerate(statuses) if s == 201), ""
        ),
    }


def wrong_login_burst(base: str, attempts: int, email: str, password: str) -> dict[str, Any]:
    clients = [_client(base) for _ in range(attempts)]

    def guess(number: int) -> int:
        client, token = clients[number]
        body = {"email": email, "password": f"wrong guess {number:04d}"}
        return client.post(
            "/api/auth/login", json=body, headers={"X-CSRF-Token": token}
        ).status_code

    statuses = _burst(attempts, guess)
    for client, _ in clients:
        client.close()
    owner, token = _client(base, OTHER_CLIENT)
    started = time.perf_counter()
    reply = owner.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-CSRF-Token": token},
    )
    owner_ms = (time.perf_counter() - started) * 1000
    owner.close()
    counts = Counter(statuses)
    return {
        "attempts": attempts,
        "statuses": dict(sorted(counts.items())),
        "checked_401": counts[401],
        "refused_429": counts[429],
        "owner_status": reply.status_code,
        "owner_ms": round(owner_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=40)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="serve this store instead of a new, empty one (e.g. the 74,728-paper sample: the "
        "worker's memory then holds its indexes too); accounts bench0..N@example.org are added",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="papersift-abuse-") as scratch:
        folder = Path(scratch)
        env = web_load.child_env(
            PAPERSIFT_EMBED_IN_BACKGROUND="false",
            PAPERSIFT_EMBEDDER_BACKEND="none",
            PAPERSIFT_SIGNUPS_PER_HOUR=str(SIGNUPS_PER_HOUR),
            PAPERSIFT_LOGIN_MAX_FAILURES=str(LOGIN_MAX_FAILURES),
        )
        data_dir = args.data_dir or folder / "data"
        # The store with its keyword index (empty for a new store), so the server answers at once.
        index = web_load.papersift(data_dir, "index", "--no-semantic")
        subprocess.run(index, env=env, check=True, capture_output=True)
        with web_load.running_server(data_dir, 1, folder / "server.log", env) as (base, _):
            pid = _server_pid(base)
            signups = sign_up_burst(base, pid, args.attempts)
            password = signups.pop("password")
            account = signups.pop("first_account")
            logins = wrong_login_burst(base, args.attempts, account, password)
            if signups["succeeded"] == 0:  # no account to guess at: say so
                logins["note"] = "no sign-up succeeded"
    bars = {
        "signups_at_most_limit": signups["succeeded"] <= SIGNUPS_PER_HOUR,
        "signups_rest_429": signups["succeeded"] + signups["refused_429"] == args.attempts,
        "rss_under_600_mb": signups["rss_peak_mb"] < RSS_LIMIT_MB,
        "logins_checked_at_most_limit": logins["checked_401"] <= LOGIN_MAX_FAILURES,
        "owner_logs_in_from_another_client": logins["owner_status"] == 200,
    }
    result = {"signups": signups, "wrong_logins": logins, "bars": bars}
    print(f"{args.attempts} concurrent sign-ups (limit {SIGNUPS_PER_HOUR}/hour a client): "
          f"{signups['statuses']}; worker RSS {signups['rss_before_mb']} MB before, peak "
          f"{signups['rss_peak_mb']} MB; {signups['seconds']} s")  # fmt: skip
    print(f"{args.attempts} parallel wrong logins (limit {LOGIN_MAX_FAILURES}): "
          f"{logins['statuses']}; the owner from {OTHER_CLIENT} right after: "
          f"{logins['owner_status']} in {logins['owner_ms']} ms")  # fmt: skip
    for name, ok in bars.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    sys.exit(0 if all(bars.values()) else 1)


def _server_pid(base: str) -> int:
    """The process listening on ``base``'s port (the one uvicorn worker)."""
    port = int(base.rsplit(":", 1)[1])
    for connection in psutil.net_connections("tcp"):
        listening = connection.status == "LISTEN" and connection.pid is not None
        if listening and connection.laddr and connection.laddr.port == port:
            return int(connection.pid)
    sys.exit(f"no process listens on port {port}")


if __name__ == "__main__":
    main()
