"""The website under load on loopback: wrk against a real ``papersift serve`` over the sample.

Three endpoints, each for ``--duration`` seconds with ``--connections`` connections (2 wrk
threads) after a short warm-up; a Lua script cycles through real request paths read from a file
and reports latency percentiles, non-2xx responses and socket errors:

  daily feed      ``/`` (half the requests) and ``/?date=D`` for 50 listing dates of the sample
  paper page      ``/papers/{id}`` for the papers of the 5 newest listing days (what the morning's
                  readers open from the feed: about 1,300 papers)
  keyword search  ``/search?q=...&mode=bm25`` for >= 500 distinct 2-6 word phrases of real titles
  category page   ``/categories/{name}?page=N`` for the 20 largest categories and archives, from
                  the first page to the last
  author page     ``/authors/{name}`` for prolific and occasional authors (page 2 too)

Before the load, every distinct path is requested once by one client: those first requests miss
the page cache (``PAPERSIFT_PAGE_CACHE_ENTRIES``), and their latencies are printed as the
"first visit" table. The load itself then mostly hits the cache; run with
PAPERSIFT_PAGE_CACHE_ENTRIES=0 to measure the load without it.

The data dir gets the 74,728-paper sample (keyword index only) the first time; later runs reuse
it. The server inherits the environment (e.g. PAPERSIFT_EMBEDDER_BACKEND=none) and is stopped at
the end, also on Ctrl-C. Targets: p50 <= 30 ms, p99 <= 100 ms, no errors. Needs wrk
(``apt-get install wrk``). Usage:
python -m bench.web_load [--data-dir DIR] [--duration 30] [--connections 20] [--workers N]
                         [--quick] [--json OUT]
Cold pages only (no wrk), this version against another checkout in the same run:
python -m bench.web_load --cold-only [--cold-paths 60] [--before WORKTREE
                         --before-data-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from bench.common import SAMPLE, key_phrase_queries, require

DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "papersift-web-bench"
TARGET_P50_MS = 30.0
TARGET_P99_MS = 100.0
WRK_THREADS = 2
WRK_TIMEOUT = "10s"  # slow answers are measured, not dropped as timeouts
FEED_DATES = 50
PAPER_DAYS = 5
SEARCH_QUERIES = 500
CATEGORIES = 20  # category pages: the 20 largest categories and archives, 6 pages each
AUTHORS = 40  # author pages: the 40 most prolific authors of 20,000 papers and 40 others
SEED = 7
READY_TIMEOUT_S = 180.0

LUA_SCRIPT = r"""
-- Cycles through the request paths of the file named after "--", one path per line; counts
-- non-2xx answers; done() prints one parseable line (latencies in microseconds).
local threads = {}
local created = 0

function setup(thread)
  thread:set("id", created)
  created = created + 1
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no request paths in " .. args[1]) end
  index = (id * math.floor(#paths / 2)) % #paths  -- threads start at different places
  non2xx = 0
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d " ..
    "max_us=%d mean_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean, bad,
    e.connect, e.read, e.write, e.timeout))
end
"""
_RESULT = re.compile(r"^WRK_RESULT (.*)$", re.MULTILINE)
_CATEGORY = re.compile(r"[a-z][a-z-]*(\.[A-Za-z-]+)?")


# the store -------------------------------------------------------------------------------------


def papersift(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "papersift", "--data-dir", str(data_dir), *args]


def child_env(**overrides: str) -> dict[str, str]:
    """The caller's environment, minus a database URL that would point away from the data dir."""
    env = {k: v for k, v in os.environ.items() if k != "PAPERSIFT_DATABASE_URL"}
    return {**env, **overrides}


def database(data_dir: Path) -> Path:
    return data_dir / "papersift.db"


def sample_size() -> int:
    with gzip.open(require(SAMPLE), "rb") as handle:
        return sum(1 for _ in handle)


def store_is_ready(data_dir: Path, expected: int) -> bool:
    """True when the store holds the sample and the keyword index has caught up with it."""
    if not database(data_dir).exists():
        return False
    out = subprocess.run(
        papersift(data_dir, "stats"),
        env=child_env(PAPERSIFT_EMBEDDER_BACKEND="none"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    numbers = {
        key: int(value.replace(",", ""))
        for key, value in re.findall(r"^([a-z ]+):\s+([\d,]+)", out, re.MULTILINE)
    }
    papers = numbers.get("papers", 0)
    return (
        papers >= expected
        and numbers.get("keyword index", 0) >= papers
        and numbers.get("index behind", 1) == 0
    )


def ensure_store(data_dir: Path) -> None:
    """Ingest the sample unless the store already holds it; ingest is idempotent, so an
    interrupted run is completed by the next one."""
    expected = sample_size()
    if store_is_ready(data_dir, expected):
        print(f"reusing the store in {data_dir}")
        return
    print(f"ingesting {SAMPLE.name} ({expected:,} papers) into {data_dir} (keyword index only) ...")
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        papersift(data_dir, "ingest", str(SAMPLE)),
        env=child_env(PAPERSIFT_EMBEDDER_BACKEND="none"),
        check=True,
    )
    print(f"ingested in {time.perf_counter() - started:.0f} s")


def store_rows(data_dir: Path, sql: str) -> list[str]:
    uri = f"file:{database(data_dir)}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        return [str(row[0]) for row in connection.execute(sql)]


# request paths ---------------------------------------------------------------------------------


def feed_paths(data_dir: Path, rng: random.Random) -> list[str]:
    dates = store_rows(data_dir, "SELECT DISTINCT listed FROM papers WHERE listed IS NOT NULL")
    chosen = rng.sample(sorted(dates), min(FEED_DATES, len(dates)))
    paths = ["/"] * len(chosen) + [f"/?date={day}" for day in chosen]
    rng.shuffle(paths)
    return paths


def paper_paths(data_dir: Path, rng: random.Random) -> list[str]:
    ids = store_rows(
        data_dir,
        "SELECT id FROM papers WHERE listed IN (SELECT DISTINCT listed FROM papers "
        f"WHERE listed IS NOT NULL ORDER BY listed DESC LIMIT {PAPER_DAYS}) ORDER BY id",
    )
    rng.shuffle(ids)
    return [f"/papers/{quote(paper_id, safe='/:')}" for paper_id in ids]


def search_paths(rng: random.Random) -> list[str]:
    queries = list(dict.fromkeys(key_phrase_queries(SEARCH_QUERIES * 2, seed=SEED)))
    if len(queries) < SEARCH_QUERIES:
        sys.exit(f"only {len(queries)} distinct queries; need {SEARCH_QUERIES}")
    rng.shuffle(queries)
    return [f"/search?q={quote_plus(query)}&mode=bm25" for query in queries]


def category_paths(data_dir: Path, rng: random.Random) -> list[str]:
    """Category and archive pages at every depth: the first page, and pages up to the last
    (``/categories/cs.CV?page=200`` and beyond), 50 papers a page."""
    counts: dict[str, int] = {}
    for categories in store_rows(data_dir, "SELECT categories FROM papers"):
        for name in json.loads(categories):
            if not _CATEGORY.fullmatch(name):  # ACM or MSC classes some records carry
                continue
            for key in {name, name.split(".")[0]}:
                counts[key] = counts.get(key, 0) + 1
    paths = []
    for name, count in sorted(counts.items(), key=lambda item: -item[1])[:CATEGORIES]:
        last = max(1, -(-count // 50))
        pages = {1, last, *(rng.randint(1, last) for _ in range(4))}
        paths += [f"/categories/{quote(name)}" + (f"?page={n}" if n > 1 else "") for n in pages]
    rng.shuffle(paths)
    return paths


def author_paths(data_dir: Path, rng: random.Random) -> list[str]:
    """Author pages of prolific and occasional authors (first and later pages)."""
    counts: dict[str, int] = {}
    for authors in store_rows(data_dir, "SELECT authors FROM papers ORDER BY id LIMIT 20000"):
        for name in json.loads(authors):
            counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts, key=lambda name: (-counts[name], name))
    chosen = ranked[:AUTHORS] + rng.sample(ranked[AUTHORS:], min(AUTHORS, len(ranked) - AUTHORS))
    paths = []
    for name in chosen:
        paths.append(f"/authors/{quote(name)}")
        if counts[name] > 50:
            paths.append(f"/authors/{quote(name)}?page=2")
    rng.shuffle(paths)
    return paths


def write_paths(folder: Path, name: str, paths: list[str]) -> Path:
    target = folder / f"{name}.txt"
    target.write_text("\n".join(paths) + "\n")
    return target


# the server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(url: str, timeout: float = 30.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_ready(server: subprocess.Popen[bytes], base: str, log: Path) -> dict[str, Any]:
    """Poll the search API until it answers; return its JSON."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            status, body = get(f"{base}/api/search?q=x", timeout=5)
        except OSError:
            time.sleep(0.3)
            continue
        if status != 200:
            sys.exit(f"GET /api/search?q=x answered {status}: {body[:500]!r}")
        answer: dict[str, Any] = json.loads(body)
        return answer
    sys.exit(f"the server did not answer within {READY_TIMEOUT_S:.0f} s; see {log}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGINT, then SIGKILL, to the server's own process group (it and its workers only)."""
    if server.poll() is not None:
        return
    for sig, grace in ((signal.SIGINT, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running_server(
    data_dir: Path, workers: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, list[str]]]:
    """Start ``papersift serve`` (in ``env``, by default this environment minus a database URL);
    yield its base URL and search modes; always stop it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = papersift(data_dir, "serve", "--port", str(port), "--workers", str(workers))
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=env or child_env(), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: Ctrl-C reaches us, and we stop it
        )  # fmt: skip
    try:
        answer = wait_until_ready(server, base, log)
        yield base, list(answer.get("modes", []))
    finally:
        stop(server)


# wrk -------------------------------------------------------------------------------------------


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("this benchmark needs wrk: apt-get install wrk")
    return wrk


def run_wrk(
    wrk: str, base: str, script: Path, paths: Path, seconds: float, connections: int
) -> dict[str, float]:
    command = [
        wrk, "-t", str(min(WRK_THREADS, connections)), "-c", str(connections),
        "-d", f"{seconds:g}s", "--timeout", WRK_TIMEOUT, "-s", str(script), f"{base}/",
        "--", str(paths),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = _RESULT.search(done.stdout)
    if done.returncode != 0 or found is None:
        sys.exit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return {key: float(value) for key, value in re.findall(r"(\w+)=(\S+)", found.group(1))}


def summarise(endpoint: str, raw: dict[str, float]) -> dict[str, Any]:
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "endpoint": endpoint,
        "requests": int(raw["requests"]),
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non2xx": int(raw["non2xx"]),
        "socket_errors": int(socket_errors),
        "socket_kinds": {kind: int(raw[kind]) for kind in ("connect", "read", "write", "timeout")},
        "errors": int(raw["non2xx"] + socket_errors),
    }


def first_visits(base: str, endpoint: str, paths: list[str]) -> dict[str, Any]:
    """Request every distinct path once, one at a time: latency of pages not yet cached."""
    latencies = []
    failures = 0
    for path in dict.fromkeys(paths):
        started = time.perf_counter()
        status, _ = get(base + path)
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            failures += 1
            if failures <= 3:
                print(f"warning: {endpoint}: GET {path} answered {status}")
    latencies.sort()
    return {
        "endpoint": endpoint,
        "requests": len(latencies),
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "errors": failures,
    }


# report ----------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1) if found else ""
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
    }


def verdict(row: dict[str, Any]) -> tuple[bool, str]:
    problems = []
    if row["p50_ms"] > TARGET_P50_MS:
        problems.append(f"p50 {row['p50_ms']:.1f} > {TARGET_P50_MS:.0f} ms")
    if row["p99_ms"] > TARGET_P99_MS:
        problems.append(f"p99 {row['p99_ms']:.1f} > {TARGET_P99_MS:.0f} ms")
    if row["errors"]:
        problems.append(f"{row['non2xx']} non-2xx, {row['socket_errors']} socket errors")
    return not problems, "; ".join(problems)


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'endpoint':<16} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7}"
    )
    for row in rows:
        print(
            f"{row['endpoint']:<16} {row['requests']:>9,} {row['rps']:>8.1f} "
            f"{row['p50_ms']:>8.1f} {row['p90_ms']:>8.1f} {row['p99_ms']:>8.1f} "
            f"{row['errors']:>7,}"
        )
    for row in rows:
        passed, why = verdict(row)
        print(f"{'PASS' if passed else 'FAIL'} {row['endpoint']}" + (f": {why}" if why else ""))
    print(f"targets: p50 <= {TARGET_P50_MS:.0f} ms, p99 <= {TARGET_P99_MS:.0f} ms, no errors")


# main ------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--quick", action="store_true", help="5 s per endpoint (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="only the first visits (cold pages) of --cold-paths paths per endpoint; no wrk",
    )
    parser.add_argument("--cold-paths", type=int, default=60, help="paths per endpoint, cold")
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of another papersift version (git worktree): its cold pages are "
        "measured too, in the same run, on its own copy of the store (--before-data-dir)",
    )
    parser.add_argument("--before-data-dir", type=Path, help="the store for --before")
    args = parser.parse_args()
    if args.before is not None and args.before_data_dir is None:
        parser.error("--before needs --before-data-dir (a store of its own: migrations differ)")
    if args.quick:
        args.duration = 5.0
    if args.connections < 1 or args.workers < 1 or args.duration <= 0:
        parser.error("--connections, --workers and --duration must be positive")
    return args


def endpoint_paths(data_dir: Path) -> dict[str, list[str]]:
    rng = random.Random(SEED)
    return {
        "daily feed": feed_paths(data_dir, rng),
        "paper page": paper_paths(data_dir, rng),
        "keyword search": search_paths(rng),
        "category page": category_paths(data_dir, rng),
        "author page": author_paths(data_dir, rng),
    }


def measure(args: argparse.Namespace, wrk: str, folder: Path) -> dict[str, Any]:
    endpoints = endpoint_paths(args.data_dir)
    script = folder / "paths.lua"
    script.write_text(LUA_SCRIPT)
    warm_up = min(5.0, max(1.0, args.duration / 6))
    log = folder / "server.log"
    rows = []
    first = []
    with running_server(args.data_dir, args.workers, log) as (base, modes):
        print(f"server: {base}, {args.workers} worker(s), search modes: {', '.join(modes)}")
        for endpoint, paths in endpoints.items():
            print(f"{endpoint}: first visit of each path ...", flush=True)
            first.append(first_visits(base, endpoint, paths))
            listed = write_paths(folder, endpoint.replace(" ", "-"), paths)
            print(
                f"{endpoint}: {len(set(paths)):,} distinct paths, warm-up {warm_up:g} s, "
                f"then {args.duration:g} s ...",
                flush=True,
            )
            run_wrk(wrk, base, script, listed, warm_up, args.connections)
            raw = run_wrk(wrk, base, script, listed, args.duration, args.connections)
            rows.append({**summarise(endpoint, raw), "distinct_paths": len(set(paths))})
    return {"modes": modes, "results": rows, "first_visits": first}


def cold_pages(args: argparse.Namespace, folder: Path) -> dict[str, list[dict[str, Any]]]:
    """First visits of the same paths per endpoint on this version and, with --before, on the
    other one, taking turns endpoint by endpoint so both see the same machine; the page cache
    is off, so every page is built."""
    endpoints = {
        name: list(dict.fromkeys(paths))[: args.cold_paths]
        for name, paths in endpoint_paths(args.data_dir).items()
    }
    # No page cache: it lives in the store, so an earlier run's pages would answer warm.
    uncached = {"PAPERSIFT_PAGE_CACHE_ENTRIES": "0"}
    versions = {"after": (args.data_dir, child_env(**uncached))}
    if args.before is not None:
        source = str(args.before.resolve() / "src")
        versions = {
            "before": (args.before_data_dir, child_env(PYTHONPATH=source, **uncached)),
            **versions,
        }
    measured: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
    with contextlib.ExitStack() as stack:
        bases = {}
        for name, (data_dir, env) in versions.items():
            log = folder / f"server-{name}.log"
            base, _ = stack.enter_context(running_server(data_dir, args.workers, log, env))
            bases[name] = base
        for endpoint, paths in endpoints.items():
            for name, base in bases.items():
                print(f"{name}: {endpoint}: first visit of {len(paths)} paths ...", flush=True)
                measured[name].append(first_visits(base, endpoint, paths))
    return measured


def print_cold(measured: dict[str, list[dict[str, Any]]]) -> None:
    print("\ncold pages: first visit of each distinct path (one client, not cached), ms:")
    names = list(measured)
    header = "".join(f" {name + ' p50':>11} {name + ' p99':>11}" for name in names)
    print(f"{'endpoint':<16} {'requests':>9}{header}")
    for index, row in enumerate(measured[names[-1]]):
        cells = "".join(
            f" {measured[name][index]['p50_ms']:>11.1f} {measured[name][index]['p99_ms']:>11.1f}"
            for name in names
        )
        print(f"{row['endpoint']:<16} {row['requests']:>9,}{cells}")


def main() -> None:
    args = parse_args()
    if args.cold_only:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        ensure_store(args.data_dir)
        machine = machine_info()
        print(f"machine: {machine['cores']} cores, load average {machine['load_average']}")
        with tempfile.TemporaryDirectory(prefix="papersift-web-cold-") as folder:
            cold = cold_pages(args, Path(folder))
        print_cold(cold)
        after = [round(load, 2) for load in os.getloadavg()]
        print(f"load average before {machine['load_average'][0]}, after {after[0]} (1 min)")
        if args.json:
            args.json.write_text(json.dumps({"machine": machine, "cold": cold}, indent=2) + "\n")
        return
    wrk = require_wrk()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up on kill too
    ensure_store(args.data_dir)
    machine = machine_info()
    print(
        f"machine: {machine['cores']} cores ({machine['cpu']}), load average "
        f"{' '.join(map(str, machine['load_average']))}; wrk {args.connections} connections, "
        f"{min(WRK_THREADS, args.connections)} threads, {args.duration:g} s per endpoint"
    )
    with tempfile.TemporaryDirectory(prefix="papersift-web-load-") as folder:
        measured = measure(args, wrk, Path(folder))
    machine["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
    print()
    print(
        f"machine: {machine['cores']} cores; load average before "
        f"{machine['load_average'][0]}, after {machine['load_average_after'][0]} (1 min)"
    )
    print(f"server workers: {args.workers}; search modes: {', '.join(measured['modes'])}")
    cache = os.environ.get("PAPERSIFT_PAGE_CACHE_ENTRIES", "default (2000)")
    print(f"page cache entries per worker: {cache}")
    print("\nfirst visit of each distinct path (one client, page not cached yet):")
    print(f"{'endpoint':<16} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for row in measured["first_visits"]:
        print(
            f"{row['endpoint']:<16} {row['requests']:>9,} {row['p50_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {row['errors']:>7,}"
        )
    print(f"\nunder load ({args.connections} connections):")
    print_table(measured["results"])
    if args.json:
        report = {
            "machine": machine,
            "workers": args.workers,
            "connections": args.connections,
            "threads": min(WRK_THREADS, args.connections),
            "duration_s": args.duration,
            "data_dir": str(args.data_dir),
            **measured,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted (the server, if started, was stopped)", file=sys.stderr)
        sys.exit(130)
