"""End-to-end semantic and hybrid search latency on the 74,728-paper arXiv sample.

Needs a data dir where `papersift ingest` and `papersift index` have run with semantic search on
(the embeddings of the whole sample take a while on 2 cores; they are computed once).
Prints p50/p99 of: query embedding alone, dense search, BM25, hybrid (query embedding included),
and similar papers. Bar (issue 3): hybrid p99 <= 50 ms.

With ``--former``, hybrid search is also timed as it was before issue 28 (``FormerHybrid``: the
hybrid retriever's code of then, fusion by convex z-score with equal weights and a list's
minimum for a candidate missing from it, a thread pool started for each search; no author step
and no known-item step), the two taking turns query by query in the same process, so that both
face the same load (issue 28's bar: the current p99 no more than 20% above the former's). Both
use today's keyword and semantic retrievers and indexes.
Usage: python -m bench.hybrid_latency --data-dir DIR [--queries 500] [--former]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import key_phrase_queries, percentiles, timed
from papersift.engine import Engine
from papersift.retrieval.base import Hit, Retriever
from papersift.retrieval.fusion import convex_combination
from papersift.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--former", action="store_true", help="also time the former hybrid")
    parser.add_argument("--skip-others", action="store_true", help="time hybrid only")
    args = parser.parse_args()
    engine = Engine(load_settings(data_dir=args.data_dir))
    if not engine.vector_index.meta():
        raise SystemExit(f"no vector index in {args.data_dir}: run `papersift index` there first")
    queries = key_phrase_queries(args.queries, seed=11)
    embedder = engine.embedder()
    paper_ids = random.Random(5).sample(
        [paper.id for paper in engine.papers.iter_all(chunk_size=20_000)], 200
    )
    for query in queries[:20]:  # warm up the model, the index and the page cache
        engine.search(query, k=10, mode="hybrid")
    if args.former:
        now, former = compared(engine, queries)
        rows = {"hybrid now (engine.search_hits)": now, "hybrid as issue 28 found it": former}
        report(engine, rows, queries, paper_ids)
        if args.skip_others:
            engine.close()
            return
    rows = {
        "query embedding": timed(embedder.embed_query, queries),
        "bm25 (top 10)": timed(lambda q: engine.search_hits(q, k=10, mode="bm25"), queries),
        "dense (embed + ANN, top 10)": timed(
            lambda q: engine.search_hits(q, k=10, mode="dense"), queries
        ),
        "hybrid (embed + both + fuse)": timed(
            lambda q: engine.search_hits(q, k=10, mode="hybrid"), queries
        ),
        "hybrid + metadata (engine.search)": timed(
            lambda q: engine.search(q, k=10, mode="hybrid"), queries
        ),
        "similar papers (top 10)": timed(lambda pid: engine.similar([pid], k=10), paper_ids),
    }
    report(engine, rows, queries, paper_ids)
    engine.close()


class FormerHybrid:
    """Hybrid search as issue 28 found it: both retrievers' top ``depth`` in a pool started for
    the search, fused by convex z-score with equal weights, a candidate missing from a list
    scoring that list's minimum."""

    def __init__(self, retrievers: Sequence[Retriever], depth: int) -> None:
        self.retrievers = list(retrievers)
        self.depth = depth

    def search(self, query: str, k: int) -> list[Hit]:
        depth = max(k, self.depth)
        first, *others = self.retrievers
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            pending = [pool.submit(r.search, query, depth, None) for r in others]
            runs = [first.search(query, depth, None), *(p.result() for p in pending)]
        weights = [1.0 / len(runs)] * len(runs)
        return convex_combination(runs, weights, normalise="zscore")[:k]


def compared(engine: Engine, queries: list[str]) -> tuple[list[float], list[float]]:
    """Seconds of each query's hybrid search now (``engine.search_hits``: the retriever, the
    author step and the known-item step) and as it was (``FormerHybrid`` alone), taking turns
    (which goes first alternates)."""
    former = FormerHybrid([engine.bm25, engine.retriever("dense")], engine.settings.hybrid_depth)

    def search_now(query: str) -> object:
        return engine.search_hits(query, k=10, mode="hybrid")

    def search_former(query: str) -> object:
        return former.search(query, 10)

    now: list[float] = []
    before: list[float] = []
    dense = engine.dense
    for number, query in enumerate(queries):
        pair = [(search_now, now), (search_former, before)]
        for search, seconds in pair if number % 2 == 0 else reversed(pair):
            if dense is not None:
                dense._vectors.clear()  # each embeds the query, as the first search of it does
            seconds.extend(timed(search, [query]))
    return now, before


def report(
    engine: Engine, rows: dict[str, list[float]], queries: list[str], ids: list[str]
) -> None:
    embedder = engine.embedder()
    meta = engine.vector_index.meta() or {}
    print(
        f"{engine.papers.count():,} papers, {embedder.identity}, vector index "
        f"{meta.get('kind')} ({len(queries)} queries, {len(ids)} similar-paper seeds)"
    )
    for name, seconds in rows.items():
        stats = percentiles(seconds)
        print(
            f"{name:<36} p50 {stats['p50_ms']:6.2f} ms  p90 {stats['p90_ms']:6.2f} ms  "
            f"p99 {stats['p99_ms']:6.2f} ms",
            flush=True,
        )
    print("bar: hybrid end to end p99 <= 50 ms")


if __name__ == "__main__":
    main()
