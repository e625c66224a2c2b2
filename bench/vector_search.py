"""Vector index benchmark: build time, memory, latency and recall@10 of papersift's VectorIndex.

The data are synthetic: clustered unit vectors of dimension 384 (2,000 gaussian centres plus
noise, generated deterministically in chunks), with 1,000 held-out queries from the same
distribution. Recall@10 is measured against exact float32 search over the same vectors.
Categories are assigned independently of the vectors: "c05" covers 5% and "c30" 30%.
Bars: unfiltered single-query p50 <= 2 ms with recall@10 >= 0.95 at N = 1M; ANN index <= 1 GB.

Usage: python -m bench.vector_search [--n 1000000] [--peer usearch] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.common import peak_rss_mb, percentiles
from bench.common import recall_at_10 as common_recall_at_10
from papersift.indexes import vector
from papersift.indexes.meta import read_meta
from papersift.indexes.vector import VectorIndex

DIMENSION = 384
CENTRES = 2_000
NOISE = 1.0  # total noise norm relative to the unit-norm centre, before renormalising
GENERATION_CHUNK = 100_000
EF_SEARCHES = (16, 32, 48, 64, 96, 128)
FILTER_QUERIES = 200
FIRST_DAY = date(2015, 1, 1)
CROSSOVER_FRACTIONS = (0.001, 0.005, 0.02, 0.05, 0.1, 0.2, 0.3)

Matrix = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int64]
faiss: Any = importlib.import_module("faiss")  # untyped SWIG wrappers


# data ------------------------------------------------------------------------------------------


def clustered_vectors(n: int, seed: int) -> Matrix:
    """``n`` unit vectors around fixed random centres, identical for the same (n, seed)."""
    centres = np.random.default_rng(12345).standard_normal((CENTRES, DIMENSION)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, DIMENSION), dtype=np.float32)
    for start in range(0, n, GENERATION_CHUNK):
        rng = np.random.default_rng([seed, start])
        size = min(GENERATION_CHUNK, n - start)
        noise = rng.standard_normal((size, DIMENSION), dtype=np.float32)
        rows = centres[rng.integers(0, CENTRES, size)] + noise * (NOISE / np.sqrt(DIMENSION))
        out[start : start + size] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def metadata(n: int) -> tuple[list[str], list[date], list[list[str]]]:
    """Ids, dates (uniform over ten years), the c05 / c30 categories (plus one for all), and
    nested categories for the crossover measurement."""
    rng = np.random.default_rng(99)
    draws = rng.random(n)
    days = rng.integers(0, 3_650, n)
    ids = [f"synthetic:{i:07d}" for i in range(n)]
    dates = [FIRST_DAY + timedelta(days=int(day)) for day in days]
    categories = [
        ["c05", "all"] if draw < 0.05 else (["c30", "all"] if draw < 0.35 else ["all"])
        for draw in draws
    ]
    for row, draw in zip(categories, crossover_draws(n), strict=True):
        row.extend(f"f{fraction}" for fraction in CROSSOVER_FRACTIONS if draw < fraction)
    return ids, dates, categories


def crossover_draws(n: int) -> npt.NDArray[np.float64]:
    """An independent uniform draw per vector: category "f<x>" holds those below x."""
    return np.random.default_rng(98).random(n)


def exact_top10(queries: Matrix, vectors: Matrix) -> Labels:
    _, labels = faiss.knn(queries, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    return np.asarray(labels, dtype=np.int64)


# measuring -------------------------------------------------------------------------------------


def recall_at_10(found: list[list[int]], truth: Labels) -> float:
    return common_recall_at_10(found, truth.tolist())


def timed_queries(
    search: Callable[[Matrix], list[int]], queries: Matrix
) -> tuple[list[list[int]], dict[str, float]]:
    for query in queries[:50]:  # warm caches and page in the float16 rows
        search(query)
    found, seconds = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(search(query))
        seconds.append(time.perf_counter() - started)
    return found, percentiles(seconds)


def positions_searcher(index: VectorIndex, **options: Any) -> Callable[[Matrix], list[int]]:
    """A search function returning positions (ids are "synthetic:<position>")."""

    def search(query: Matrix) -> list[int]:
        return [int(paper_id[10:]) for paper_id, _ in index.search(query, 10, **options)]

    return search


def rss_mb() -> dict[str, float]:
    """Resident memory (Linux): private ("anon") and file-backed ("file": memory-mapped files,
    shared with the page cache and reclaimable). Peak RSS would not do: a child process inherits
    its parent's peak."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {kind: int(fields[f"Rss{kind.title()}"].split()[0]) / 1024 for kind in ("anon", "file")}


# Run in a fresh process: the benchmark's own arrays would hide the growth.
_LOAD_SCRIPT = """
import json, pathlib, numpy as np
from bench.vector_search import rss_mb
from papersift.indexes.vector import VectorIndex
queries = np.load({queries!r})
before = rss_mb()
index = VectorIndex(pathlib.Path({index!r}))
index.load()
loaded = rss_mb()
for query in queries:
    index.search(query, 10)
searched = rss_mb()
growth = {{f"{{kind}}_{{stage}}_mb": now[kind] - before[kind]
          for stage, now in (("load", loaded), ("searches", searched)) for kind in before}}
print(json.dumps(growth))
"""


def load_memory(path: Path, queries: Matrix) -> dict[str, float]:
    """RSS growth of a fresh process that loads the index, then after the queries' searches."""
    with tempfile.TemporaryDirectory() as scratch:
        query_file = Path(scratch) / "queries.npy"
        np.save(query_file, queries)
        return _run_json(_LOAD_SCRIPT.format(queries=str(query_file), index=str(path)))


def _run_json(script: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def directory_sizes(path: Path) -> dict[str, float]:
    meta = read_meta(path)
    if meta is None:
        raise SystemExit(f"no vector index in {path}")
    generation = path / meta["generation"]
    sizes = {entry.name: entry.stat().st_size / 2**20 for entry in generation.iterdir()}
    other = sum(mb for name, mb in sizes.items() if name not in ("hnsw.faiss", "vectors.npy"))
    return {
        "faiss_index_mb": sizes.get("hnsw.faiss", 0.0),
        "float16_vectors_mb": sizes["vectors.npy"],
        "ids_dates_categories_mb": other,
    }


# sections --------------------------------------------------------------------------------------


def build_index(path: Path, vectors: Matrix, args: argparse.Namespace) -> dict[str, Any]:
    ids, dates, categories = metadata(len(vectors))
    index = VectorIndex(path)
    started = time.perf_counter()
    index.build(
        ids,
        vectors,
        dates=dates,
        categories=categories,
        identity="synthetic-384",
        store_id="bench",
        store_rev=1,
        m=args.m,
        ef_construction=args.ef_construction,
        progress=True,
    )
    seconds = time.perf_counter() - started
    print(
        f"build: {seconds:.0f} s ({len(vectors) / seconds:,.0f} vectors/s), M={args.m}, "
        f"efConstruction={args.ef_construction}"
    )
    return {
        "build_s": seconds,
        "m": args.m,
        "ef_construction": args.ef_construction,
    }


def unfiltered(index: VectorIndex, queries: Matrix, truth: Labels) -> list[dict[str, float]]:
    rows = []
    print("\nunfiltered single queries (1 query at a time, k=10, float16 re-scoring):")
    print(f"{'efSearch':>9} {'recall@10':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for ef in EF_SEARCHES:
        found, stats = timed_queries(positions_searcher(index, ef_search=ef), queries)
        row = {"ef_search": ef, "recall@10": recall_at_10(found, truth), **stats}
        rows.append(row)
        print(f"{ef:>9} {row['recall@10']:>10.4f} {stats['p50_ms']:>8.3f} {stats['p99_ms']:>8.3f}")
    return rows


def threads(index: VectorIndex, queries: Matrix) -> dict[str, float]:
    """Single-query p50 with search's one faiss thread vs faiss's default thread count."""
    result = {}
    for name, pinned in (("1 thread", True), (f"{faiss.omp_get_max_threads()} threads", False)):
        with contextlib.ExitStack() as stack:
            if not pinned:
                stack.enter_context(_patched(vector, "_one_faiss_thread", contextlib.nullcontext))
            _, unfiltered_stats = timed_queries(positions_searcher(index), queries)
            _, filtered_stats = timed_queries(
                positions_searcher(index, categories=["c05"]), queries[:FILTER_QUERIES]
            )
        result[f"unfiltered_p50_ms_{name}"] = unfiltered_stats["p50_ms"]
        result[f"c05_p50_ms_{name}"] = filtered_stats["p50_ms"]
    print("faiss threads:", ", ".join(f"{key} {value:.2f}" for key, value in result.items()))
    return result


@contextmanager
def _patched(module: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def filtered(index: VectorIndex, vectors: Matrix, queries: Matrix) -> list[dict[str, Any]]:
    ids, dates, categories = metadata(len(vectors))
    del ids
    since = FIRST_DAY + timedelta(days=3_285)  # the last year of ten: ~10%
    cases: list[tuple[str, dict[str, Any], npt.NDArray[np.bool_]]] = [
        ("category c05 (5%)", {"categories": ["c05"]}, _has(categories, "c05")),
        ("category c30 (30%)", {"categories": ["c30"]}, _has(categories, "c30")),
        ("since last year (10%)", {"since": since}, np.array([d >= since for d in dates])),
    ]
    sample = queries[:FILTER_QUERIES]
    rows = []
    print(f"\nfiltered single queries ({FILTER_QUERIES} queries, k=10, default efSearch):")
    for name, options, mask in cases:
        allowed = np.flatnonzero(mask)
        truth = allowed[exact_top10(sample, np.ascontiguousarray(vectors[allowed]))]
        found, stats = timed_queries(positions_searcher(index, **options), sample)
        path = _chosen_path(len(allowed), len(vectors))
        row = {"filter": name, "allowed": len(allowed), "path": path}
        row |= {"recall@10": recall_at_10(found, truth), **stats}
        rows.append(row)
        print(
            f"  {name:<24} {len(allowed):>9,} allowed, {path:<16} recall@10 "
            f"{row['recall@10']:.4f}  p50 {stats['p50_ms']:.2f} ms  p99 {stats['p99_ms']:.2f} ms"
        )
    return rows


def _chosen_path(allowed: int, n: int) -> str:
    """The path VectorIndex.search takes for this many allowed vectors."""
    if allowed <= vector.GATHER_LIMIT:
        return "gather"
    return "flat-scan" if allowed <= vector.FLAT_SCAN_FRACTION * n else "hnsw-selector"


def _has(categories: list[list[str]], name: str) -> npt.NDArray[np.bool_]:
    return np.array([name in row for row in categories])


# Module settings that force each filtered-search path of VectorIndex.search.
PATHS: dict[str, dict[str, float]] = {
    "gather": {"GATHER_LIMIT": 10**9},
    "flat-scan": {"GATHER_LIMIT": 0, "FLAT_SCAN_FRACTION": 1.0},
    "hnsw-selector": {"GATHER_LIMIT": 0, "FLAT_SCAN_FRACTION": 0.0},
}


@contextmanager
def forced(path: str) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for name, value in PATHS[path].items():
            stack.enter_context(_patched(vector, name, value))
        yield


def crossover(index: VectorIndex, vectors: Matrix, queries: Matrix) -> list[dict[str, Any]]:
    """Latency and recall of each filtered-search path by allowed fraction: picks the rule."""
    draws = crossover_draws(len(vectors))
    sample = queries[:100]
    rows: list[dict[str, Any]] = []
    print("\nfiltered-search paths by allowed fraction (a category filter, 100 queries, k=10):")
    print(f"{'allowed':>9} {'fraction':>9} {'path':>14} {'recall@10':>10} {'p50 ms':>8}")
    for fraction in CROSSOVER_FRACTIONS:
        positions = np.flatnonzero(draws < fraction)
        truth = positions[exact_top10(sample, np.ascontiguousarray(vectors[positions]))]
        for path in PATHS:
            if path == "gather" and len(positions) > 20_000:
                continue  # minutes per query; the trend is clear by then
            with forced(path):
                found, stats = timed_queries(
                    positions_searcher(index, categories=[f"f{fraction}"]), sample
                )
            recall = recall_at_10(found, truth)
            rows.append(
                {"allowed": len(positions), "fraction": fraction, "path": path}
                | {"recall@10": recall, **stats}
            )
            print(
                f"{len(positions):>9,} {fraction:>9.3f} {path:>14} {recall:>10.4f} "
                f"{stats['p50_ms']:>8.2f}"
            )
    return rows


def usearch_peer(
    vectors: Matrix, queries: Matrix, truth: Labels, args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    from usearch.index import Index

    print(f"\npeer: usearch HNSW ({args.peer_dtype}), same M / efConstruction, 2 build threads")
    index: Any = Index(  # Any: mypy misreads the expansion_search setter
        ndim=DIMENSION,
        metric="ip",
        dtype=args.peer_dtype,
        connectivity=args.m,
        expansion_add=args.ef_construction,
    )
    started = time.perf_counter()
    index.add(np.arange(len(vectors), dtype=np.uint64), vectors, threads=2)
    seconds = time.perf_counter() - started
    memory_mb = index.memory_usage / 2**20
    index.save(str(work / "peer.usearch"))
    file_mb = (work / "peer.usearch").stat().st_size / 2**20
    print(f"build {seconds:.0f} s, file {file_mb:,.0f} MB, in memory {memory_mb:,.0f} MB")
    rows = []
    for ef in EF_SEARCHES:
        index.expansion_search = ef
        found, stats = timed_queries(
            lambda q: [int(key) for key in index.search(q, 10, threads=1).keys], queries
        )
        row = {"ef_search": ef, "recall@10": recall_at_10(found, truth), **stats}
        rows.append(row)
        print(f"{ef:>9} {row['recall@10']:>10.4f} {stats['p50_ms']:>8.3f} {stats['p99_ms']:>8.3f}")
    return {
        "library": f"usearch {args.peer_dtype}",
        "build_s": seconds,
        "file_mb": file_mb,
        "memory_mb": memory_mb,
        "search": rows,
    }


# main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--peer", choices=["usearch"], help="also benchmark this ANN library")
    parser.add_argument("--peer-dtype", default="i8", choices=["i8", "f16", "f32"])
    parser.add_argument(
        "--index", type=Path, help="build the index here and keep it; reuse it if already there"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    load_average = os.getloadavg()
    print(
        f"synthetic clustered unit vectors: N={args.n:,}, dimension {DIMENSION}, "
        f"{CENTRES:,} centres; {args.queries:,} held-out queries; "
        f"{os.cpu_count()} CPUs, load average {load_average[0]:.1f}"
    )
    started = time.perf_counter()
    vectors = clustered_vectors(args.n, seed=1)
    queries = clustered_vectors(args.queries, seed=2)
    truth = exact_top10(queries, vectors)
    print(f"data + exact ground truth: {time.perf_counter() - started:.0f} s")

    results: dict[str, Any] = {"n": args.n, "dimension": DIMENSION, "queries": args.queries}
    results["load_average_start"] = load_average
    work = Path(tempfile.mkdtemp(prefix="papersift-vector-"))
    try:
        results |= measure_index(args.index or work / "vector", vectors, queries, truth, args)
        if args.peer == "usearch":
            results["peer"] = usearch_peer(vectors, queries, truth, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_average_end"] = os.getloadavg()
    results["peak_rss_mb"] = peak_rss_mb()
    print(f"\npeak RSS of this benchmark process: {results['peak_rss_mb']:,.0f} MB")
    print(f"load average at the end: {results['load_average_end'][0]:.1f}")
    print("bars at 1M: p50 <= 2 ms and recall@10 >= 0.95; ANN index <= 1 GB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def measure_index(
    path: Path, vectors: Matrix, queries: Matrix, truth: Labels, args: argparse.Namespace
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    meta = VectorIndex(path).meta()
    if meta is not None and meta["positions"] == len(vectors):
        print(f"reusing the index in {path}, built {meta['updated_at']}")
    else:
        results["build"] = build_index(path, vectors, args)
    results["disk_mb"] = directory_sizes(path)
    results["memory_mb"] = load_memory(path, queries)
    print(
        "index files: {faiss_index_mb:,.0f} MB faiss HNSW-SQ8, {float16_vectors_mb:,.0f} MB "
        "float16 vectors (memory-mapped), {ids_dates_categories_mb:,.0f} MB ids/dates/"
        "categories".format(**results["disk_mb"])
    )
    print(
        "fresh process RSS growth: after load {anon_load_mb:,.0f} MB private + "
        "{file_load_mb:,.0f} MB mapped files; after the searches {anon_searches_mb:,.0f} MB "
        "private + {file_searches_mb:,.0f} MB mapped files (float16 pages, shared with the "
        "page cache)".format(**results["memory_mb"])
    )
    index = VectorIndex(path)
    index.load()
    results["unfiltered"] = unfiltered(index, queries, truth)
    results["threads"] = threads(index, queries)
    results["filtered"] = filtered(index, vectors, queries)
    results["crossover"] = crossover(index, vectors, queries)
    return results


if __name__ == "__main__":
    main()
