"""The first hour of a new user: `make demo` on a fresh clone, timed from its start.

Clones this repository into a work folder (with ../shared beside the clone, as a symlink), runs
`make demo PORT=...` there with a fresh data directory, and watches the site as a person would:

- the time until the first search in the default mode answers with results;
- the time until semantic search covers the newest 10,000 papers (embedding runs newest first,
  so that is when /api/status counts 10,000 embedded papers) and until it covers them all;
- total embedding time and papers per second (from the site's first answer, when the server and
  its embedding worker have started, to the last vector).

Usage: python -m bench.first_hour [--port 8765] [--work DIR] [--reuse-venv PATH]
       [--json bench/results/first_hour.json]

``--reuse-venv`` points the clone at an existing virtualenv (skips the install: the install's
own time is then not part of the figures, and the output says so).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import requests

from bench.common import SHARED_DATA, require

REPO = Path(__file__).resolve().parents[1]
QUERY = "neural networks"
NEWEST = 10_000
POLL_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--work", type=Path, help="Work folder (default: a temporary one).")
    parser.add_argument("--reuse-venv", type=Path, help="An installed virtualenv to use.")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="Give up after (s).")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args()
    require(SHARED_DATA / "arxiv-sample.jsonl.gz")
    work = args.work or Path(tempfile.mkdtemp(prefix="papersift-first-hour-"))
    clone = _fresh_clone(work, args.reuse_venv)
    figures = _watch_demo(clone, work / "data", args.port, args.timeout)
    figures["venv_reused"] = args.reuse_venv is not None
    _print(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))


def _fresh_clone(work: Path, venv: Path | None) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    clone = work / "papersift"
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    shared = work / "shared"
    if not shared.exists():
        shared.symlink_to(SHARED_DATA.parent)
    if venv is not None and not (clone / ".venv").exists():
        (clone / ".venv").symlink_to(venv.resolve())
    return clone


def _watch_demo(clone: Path, data_dir: Path, port: int, timeout: float) -> dict[str, Any]:
    environment = {**os.environ, "PAPERSIFT_DATA_DIR": str(data_dir)}
    environment.pop("PAPERSIFT_EMBEDDER_BACKEND", None)
    log = (clone.parent / "demo.log").open("wb")
    started = time.monotonic()
    demo = subprocess.Popen(
        ["make", "demo", f"PORT={port}"],
        cwd=clone,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, Any] = {"port": port}
    try:
        figures["first_search_s"] = _until_first_search(base, started, timeout, demo)
        _say(f"first successful default-mode search after {figures['first_search_s']:.1f} s")
        figures |= _until_covered(base, started, timeout, demo)
        figures["embedding_s"] = figures["all_covered_s"] - figures["first_search_s"]
        figures["papers_per_s"] = figures["papers"] / max(figures["embedding_s"], 1e-9)
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=60)
        log.close()
    return figures


def _until_first_search(base: str, started: float, timeout: float, demo: Any) -> float:
    while time.monotonic() - started < timeout:
        if demo.poll() is not None:
            raise SystemExit(f"make demo stopped (exit {demo.returncode}); see demo.log")
        try:
            response = requests.get(f"{base}/api/search", params={"q": QUERY}, timeout=30)
            if response.status_code == 200 and response.json()["results"]:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(POLL_SECONDS)
    raise SystemExit("no search answered before the timeout")


def _until_covered(base: str, started: float, timeout: float, demo: Any) -> dict[str, Any]:
    first_vector = newest = None
    while time.monotonic() - started < timeout:
        if demo.poll() is not None:
            raise SystemExit(f"make demo stopped (exit {demo.returncode}); see demo.log")
        status = requests.get(f"{base}/api/status", timeout=30).json()
        embedded, papers = status["semantic"]["embedded"], status["papers"]
        now = time.monotonic() - started
        if embedded and first_vector is None:
            first_vector = now
            _say(f"first vectors searchable after {now:.1f} s ({embedded:,} papers)")
        if embedded >= min(NEWEST, papers) and newest is None:
            newest = now
            _say(f"newest {NEWEST:,} papers covered after {now:.1f} s")
        if papers and embedded >= papers:
            assert first_vector is not None
            return {
                "papers": papers,
                "first_vectors_s": first_vector,
                "newest_10k_covered_s": newest,
                "all_covered_s": now,
                "worker_papers_per_s": status["semantic"]["papers_per_second"],
                "default_mode_at_end": status["default_mode"],
            }
        time.sleep(5 * POLL_SECONDS)
    raise SystemExit("embedding did not finish before the timeout")


def _say(line: str) -> None:
    print(line, flush=True)


def _print(figures: dict[str, Any]) -> None:
    print(f"make demo on a fresh clone, {figures.get('papers', 0):,} papers")
    if figures["venv_reused"]:
        print("  (the virtualenv was reused: install time not included)")
    print(f"  first successful default-mode search: {figures['first_search_s']:8.1f} s")
    print(f"  first vectors searchable:             {figures['first_vectors_s']:8.1f} s")
    print(f"  newest 10,000 papers covered:         {figures['newest_10k_covered_s']:8.1f} s")
    print(f"  every paper covered:                  {figures['all_covered_s']:8.1f} s")
    print(f"  embedding time (server up to done):   {figures['embedding_s']:8.1f} s")
    print(f"  papers per second:                    {figures['papers_per_s']:8.1f}")


if __name__ == "__main__":
    main()
