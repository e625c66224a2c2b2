"""The website under concurrent load: ``papersift serve`` on the benchmark's store, wrk on
loopback (the server and wrk helpers of ``bench.web_load``).

Two endpoints, each after a warm-up: hybrid search pages (``/search?q=...&mode=hybrid``, the
benchmark's queries; keyword mode when semantic search is off) and paper pages
(``/papers/{id}`` of random papers of the whole corpus). The page cache is off, so every request
does its search or similar-papers work, and no run is flattered by pages a previous run left in
the store. The server's memory is sampled twice a second over its processes: summed PSS, and its
anonymous and file-backed parts.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import psutil

from bench import web_load
from bench.suite import workload
from bench.suite.context import Context

PAPER_PAGES = 2_000


class _MemoryWatch:
    """Peak memory of a process and its children, sampled in a thread: summed PSS (shared pages
    split between the processes sharing them), and of that the anonymous part (RssAnon: the
    processes' own memory) apart from the file-backed part (memory-mapped index and database
    files: page cache the kernel can reclaim)."""

    def __init__(self, pid: int) -> None:
        self.peak = {"pss_mb": 0.0, "anon_mb": 0.0, "file_mb": 0.0}
        self._root = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            try:
                processes = [self._root, *self._root.children(recursive=True)]
                sample = {"pss_mb": 0.0, "anon_mb": 0.0, "file_mb": 0.0}
                for process in processes:
                    sample["pss_mb"] += process.memory_full_info().pss / 2**20
                    status = _status_kb(process.pid)
                    sample["anon_mb"] += status.get("RssAnon", 0) / 1024
                    sample["file_mb"] += status.get("RssFile", 0) / 1024
            except (psutil.Error, OSError):
                continue
            for key, value in sample.items():
                self.peak[key] = max(self.peak[key], value)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return self.peak


def _status_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            fields[name] = int(value.split()[0])
    return fields


def measure(context: Context) -> dict[str, Any]:
    os.environ.update({**context.environment(), "PAPERSIFT_PAGE_CACHE_ENTRIES": "0"})
    wrk = web_load.require_wrk()
    rng = random.Random(context.seed + 2)
    ids = workload.paper_ids(context)
    pages = [f"/papers/{quote(ids[rng.randrange(len(ids))])}" for _ in range(PAPER_PAGES)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="papersift-http-") as scratch:
        folder = Path(scratch)
        script = folder / "paths.lua"
        script.write_text(web_load.LUA_SCRIPT)
        log = folder / "server.log"
        with web_load.running_server(context.data_dir, context.http_workers, log) as (base, modes):
            mode = "hybrid" if "hybrid" in modes else "bm25"
            searches = [f"/search?q={quote_plus(q)}&mode={mode}" for q in workload.queries(context)]
            watch = _MemoryWatch(_server_pid(base))
            for endpoint, paths in ((f"search ({mode})", searches), ("paper page", pages)):
                listed = web_load.write_paths(folder, endpoint.split()[0], paths)
                seconds = max(1, round(context.http_seconds))  # wrk takes whole seconds
                warm_up = max(1, seconds // 6)
                web_load.run_wrk(wrk, base, script, listed, warm_up, context.http_connections)
                raw = web_load.run_wrk(wrk, base, script, listed, seconds, context.http_connections)
                rows.append(
                    {**web_load.summarise(endpoint, raw), "distinct_paths": len(set(paths))}
                )
            server_peak = watch.stop()
    return {
        "workers": context.http_workers,
        "connections": context.http_connections,
        "seconds": context.http_seconds,
        "endpoints": rows,
        "server_peak_rss_mb": server_peak["pss_mb"],
        "server_peak_anon_mb": server_peak["anon_mb"],
        "server_peak_file_mb": server_peak["file_mb"],
    }


def _server_pid(base: str) -> int:
    """The pid of the ``papersift serve`` process started for ``base`` (its workers are its
    children)."""
    port = base.rsplit(":", 1)[1]
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if "serve" in command and port in command:
            return int(process.pid)
    raise RuntimeError(f"no papersift serve process for port {port}")
