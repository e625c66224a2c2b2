"""A real `papersift serve` on a fresh store of 2,000 sample papers, from before the first vector
exists until embedding completes: the feed, search in every offered mode (the default too), a
paper page, /api/search and /api/status are requested every second, and none answers 5xx while
semantic coverage rises to 100%."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from papersift.embeddings import load_embedder
from tests.test_semantic import _model_cache

DEFAULT_MODEL = "all-MiniLM-L6-v2"

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

PAPERS = 2_000
TIMEOUT_SECONDS = 900


@pytest.fixture
def fresh_store(shared_data: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a deployment with the sample's first papers stored, no vectors."""
    pytest.importorskip("onnxruntime")
    corpus = tmp_path / "corpus.jsonl"
    with gzip.open(shared_data / "arxiv-sample.jsonl.gz", "rb") as sample:
        corpus.write_bytes(b"".join(islice(sample, PAPERS)))
    environment = {
        **os.environ,
        "PAPERSIFT_DATA_DIR": str(tmp_path / "data"),
        "PAPERSIFT_EMBED_PUBLISH_PAPERS": "500",
    }
    for name in ("PAPERSIFT_DATABASE_URL", "PAPERSIFT_EMBEDDER_BACKEND"):
        environment.pop(name, None)
    papersift = [sys.executable, "-m", "papersift"]
    subprocess.run([*papersift, "ingest", str(corpus)], env=environment, check=True)
    return environment


@pytest.fixture
def served(fresh_store: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    filelock = pytest.importorskip("filelock")
    cache = _model_cache(tmp_path_factory)
    cache.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    environment = {**fresh_store, "PAPERSIFT_MODEL_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "papersift", "serve", "--port", str(port)]
    with filelock.FileLock(str(cache / ".onnx-int8.lock")):  # the session's one export
        load_embedder("onnx-int8", DEFAULT_MODEL, cache_dir=cache)
    server = subprocess.Popen(command, env=environment, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, server)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and its embedding worker
        server.wait(timeout=60)


def test_the_site_answers_throughout_while_semantic_search_grows(served: str) -> None:
    httpx = pytest.importorskip("httpx")
    first = httpx.get(f"{served}/api/status").json()
    assert first["semantic"]["embedded"] == 0 and first["modes"] == ["bm25"]
    paper = httpx.get(f"{served}/api/search", params={"q": "learning"}).json()["results"][0]
    coverage: list[float] = []
    answers: list[tuple[str, int]] = []
    started = time.monotonic()
    with httpx.Client(base_url=served, timeout=60) as client:
        while time.monotonic() - started < TIMEOUT_SECONDS:
            status = client.get("/api/status")
            answers.append(("/api/status", status.status_code))
            state = status.json()
            coverage.append(state["semantic"]["coverage"])
            for path in _pages(state, paper["paper"]["id"]):
                answers.append((path, client.get(path).status_code))
            if coverage[-1] >= 1.0:
                break
            time.sleep(1)
    failures = [(path, code) for path, code in answers if code >= 500]
    assert not failures, failures[:10]
    assert all(code == 200 for _, code in answers), [a for a in answers if a[1] != 200][:10]
    assert coverage[-1] == 1.0, f"coverage reached {coverage[-1]} in {TIMEOUT_SECONDS} s"
    assert coverage == sorted(coverage), "coverage went backwards"
    assert any(0 < share < 1 for share in coverage), "vectors appeared all at once, not in steps"
    final = httpx.get(f"{served}/api/status").json()
    assert final["default_mode"] == "hybrid" and {"dense", "hybrid"} <= set(final["modes"])


def _pages(state: dict[str, Any], paper_id: str) -> list[str]:
    searches = [f"/search?q=graph+learning&mode={mode}" for mode in state["modes"]]
    return [
        "/",
        "/search?q=graph+learning",  # the default mode
        *searches,
        f"/papers/{paper_id}",
        "/api/search?q=graph+learning",
        "/api/search?q=graph+learning&mode=semantic",
    ]


def _wait_until_up(base: str, server: subprocess.Popen[Any]) -> None:
    httpx = pytest.importorskip("httpx")
    for _ in range(600):
        if server.poll() is not None:
            pytest.fail(f"papersift serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/api/status").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("papersift serve did not answer within 60 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
