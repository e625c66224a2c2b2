"""Lucene BM25 through Pyserini's Anserini (the jar the ``pyserini`` wheel ships), on Java 17.

Pyserini's own Python modules import half of PyPI (openai, spacy, nmslib ...), so the benchmark
uses its jar the way ``pyserini.search.lucene.LuceneSearcher`` does: Anserini's
``SimpleSearcher`` through pyjnius, BM25 with Anserini's defaults (k1 0.9, b 0.4, Porter
stemming, English stopwords), top 10 per query, document ids read back into Python. The index
is built by Anserini's ``IndexCollection`` (JsonCollection, 2 threads) in a Java process of its
own, whose peak memory is measured like every stage's.

Install: pip install --no-deps pyserini==0.25.0 pyjnius (``make bench-peers``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.common import percentiles, timed

JAVA_HEAP = "-Xmx3g"
INSTALL_HINT = "pip install --no-deps pyserini==0.25.0 'pyjnius>=1.6,<2' (make bench-peers)"


class LuceneMissing(RuntimeError):
    pass


def anserini_jar() -> Path:
    spec = importlib.util.find_spec("pyserini")
    if spec is None or not spec.submodule_search_locations:
        raise LuceneMissing(f"the Lucene peer needs Pyserini's jar: {INSTALL_HINT}")
    jars = sorted(Path(spec.submodule_search_locations[0]).glob("resources/jars/*fatjar.jar"))
    if not jars:
        raise LuceneMissing(f"no Anserini jar in the pyserini package: {INSTALL_HINT}")
    return jars[-1]


def java() -> str:
    found = shutil.which("java")
    if found is None:
        raise LuceneMissing(
            "the Lucene peer needs Java 11 or later (apt-get install openjdk-17-jre)"
        )
    return found


def build_index(documents: Iterable[tuple[str, str]], index: Path) -> dict[str, Any]:
    """Index (id, text) pairs unless ``index`` already holds a finished index."""
    done = index / "bench-build.json"
    if done.exists():
        return {**json.loads(done.read_text()), "reused": True}
    shutil.rmtree(index, ignore_errors=True)
    source = index.with_name(index.name + "-docs")
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    with (source / "docs.jsonl").open("w") as handle:
        for doc_id, text in documents:
            handle.write(json.dumps({"id": doc_id, "contents": text}) + "\n")
    command = [
        java(), JAVA_HEAP, "-cp", str(anserini_jar()), "io.anserini.index.IndexCollection",
        "-collection", "JsonCollection", "-input", str(source), "-index", str(index),
        "-generator", "DefaultLuceneDocumentGenerator", "-threads", "2",
        "-memoryBuffer", "1024",
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"Anserini indexing failed:\n{stderr[-2000:]}")
    shutil.rmtree(source)
    result = {"index_s": seconds, "java_peak_rss_mb": usage.ru_maxrss / 1024}
    done.write_text(json.dumps(result))
    return {**result, "reused": False}


class Searcher:
    """Anserini's SimpleSearcher in this process, through pyjnius."""

    def __init__(self, index: Path) -> None:
        jar = anserini_jar()
        java_home = Path(os.path.realpath(java())).parents[1]
        os.environ.setdefault("JAVA_HOME", str(java_home))
        import jnius_config

        if not jnius_config.vm_running:
            jnius_config.add_options(JAVA_HEAP)
            jnius_config.set_classpath(str(jar))
        from jnius import autoclass

        self._searcher = autoclass("io.anserini.search.SimpleSearcher")(str(index))

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        return [(hit.docid, hit.score) for hit in self._searcher.search(query, k)]

    def close(self) -> None:
        self._searcher.close()


def latency(index: Path, queries: list[str]) -> dict[str, float]:
    searcher = Searcher(index)
    timed(searcher.search, queries)  # one pass to warm the JIT and the page cache
    stats = percentiles(timed(searcher.search, queries))
    searcher.close()
    return stats
