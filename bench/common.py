"""Helpers shared by the benchmarks: shared data location, timing summaries, realistic queries."""

from __future__ import annotations

import gzip
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SAMPLE = SHARED_DATA / "arxiv-sample.jsonl.gz"

STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
        "its", "of", "on", "or", "over", "the", "their", "this", "to", "towards", "under", "via",
        "with", "without", "we", "our", "using", "based",
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]+")


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"benchmark needs {path} (the shared data folder beside the repository)")
    return path


def sample_titles(limit: int | None = None) -> Iterator[str]:
    with gzip.open(require(SAMPLE), "rb") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            yield str(orjson.loads(line)["title"])


def key_phrase_queries(count: int, seed: int = 7) -> list[str]:
    """Queries like a reader types: 2-6 consecutive content words from a real title."""
    rng = random.Random(seed)
    titles = list(sample_titles())
    queries: list[str] = []
    while len(queries) < count:
        words = [w for w in _WORD.findall(rng.choice(titles)) if w.lower() not in STOPWORDS]
        if len(words) < 2:
            continue
        length = rng.randint(2, min(6, len(words)))
        start = rng.randint(0, len(words) - length)
        queries.append(" ".join(words[start : start + length]))
    return queries


def int_list(text: str) -> list[int]:
    """``40,100,200`` as [40, 100, 200]: the type of list-valued command-line options."""
    return [int(value) for value in text.split(",")]


def timed(function: Callable[[Any], object], inputs: list[Any]) -> list[float]:
    """Seconds each call of ``function`` took, one input at a time."""
    seconds = []
    for item in inputs:
        started = time.perf_counter()
        function(item)
        seconds.append(time.perf_counter() - started)
    return seconds


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    return {
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "mean_ms": statistics.fmean(ordered) * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def recall_at_10(
    found: Sequence[Collection[Hashable]], truth: Sequence[Collection[Hashable]]
) -> float:
    """Mean share of each exact top 10 (``truth``) that the search returned (``found``)."""
    hits = sum(len(set(row) & set(exact)) for row, exact in zip(found, truth, strict=True))
    return hits / (10 * len(found))


def mean_cosine(left: npt.ArrayLike, right: npt.ArrayLike) -> float:
    """The mean cosine of row i of ``left`` with row i of ``right`` (rows of any length)."""
    rows = [np.asarray(side, np.float32) for side in (left, right)]
    units = [
        side / np.clip(np.linalg.norm(side, axis=1, keepdims=True), 1e-12, None) for side in rows
    ]
    return float((units[0] * units[1]).sum(axis=1).mean())


def random_pair_cosine(vectors: npt.ArrayLike, seed: int, pairs: int = 2000) -> float:
    """The mean cosine of random pairs of ``vectors``: how crowded they are (near 1, every
    paper is close to every other and the top 10 are separated by hair's breadths, which no
    graph index finds reliably)."""
    rows = np.asarray(vectors)  # a memory-mapped file stays mapped: no copy
    rng = np.random.default_rng(seed)
    left, right = (np.sort(rng.choice(len(rows), pairs)) for _ in range(2))
    return mean_cosine(rows[left], rows[right])


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM on Linux, which starts afresh at exec
    (ru_maxrss of a child starts at the size of the process that started it)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
