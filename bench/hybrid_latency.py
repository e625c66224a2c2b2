"""End-to-end semantic and hybrid search latency on the 74,728-paper arXiv sample.

Needs a data dir where `papersift ingest` and `papersift index` have run with semantic search on
(the embeddings of the whole sample take a while on 2 cores; they are computed once).
Prints p50/p99 of: query embedding alone, dense search, BM25, hybrid (query embedding included),
and similar papers. Bar (issue 3): hybrid p99 <= 50 ms.

With ``--former``, hybrid search is also timed as it was before issue 28 (``FormerHybrid``: the
hybrid retriever's code of then, fusion by convex z-score with equal weights and a list's
minimum for a candidate missing from it, a thread pool started for each search; no author step
and no known-item step), the two taking turns query by query in the same process, so that both
face the same load (issue 28's bar: the current p99 no more than 20% above the former's). The
former keyword search is tantivy alone, as then (the keyword accelerator came with issue 34);
a third row times the former hybrid on today's keyword search. All use today's semantic
retriever and indexes.
Usage: python -m bench.hybrid_latency --data-dir DIR [--queries 500] [--former]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from bench.common import key_phrase_queries, percentiles, timed
from papersift.engine import Engine
from papersift.indexes.keyword import KeywordIndex
from papersift.retrieval.base import Hit, Retriever
from papersift.retrieval.bm25 import BM25Retriever
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
        report(engine, compared(engine, queries), queries, paper_ids)
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


def compared(engine: Engine, queries: list[str]) -> dict[str, list[float]]:
    """Seconds of each query's hybrid search now (``engine.search_hits``: the retriever, the
    author step and the known-item step), as it was (``FormerHybrid`` with the keyword search of
    then: tantivy alone, the accelerator came later) and the former search on today's keyword
    search; taking turns, each query in another order."""
    dense = engine.retriever("dense")
    keyword = engine.keyword_index
    assert isinstance(keyword, KeywordIndex), "the former hybrid is timed on the file indexes"
    tantivy_alone = BM25Retriever(
        KeywordIndex(Path(keyword.path), boosts=keyword.boosts, accelerator="off")
    )
    depth = engine.settings.hybrid_depth
    searches: dict[str, Callable[..., object]] = {
        "hybrid now (engine.search_hits)": partial(engine.search_hits, mode="hybrid"),
        "hybrid as issue 28 found it": FormerHybrid([tantivy_alone, dense], depth).search,
        "former hybrid, today's keyword search": FormerHybrid([engine.bm25, dense], depth).search,
    }
    seconds: dict[str, list[float]] = {name: [] for name in searches}
    names = list(searches)
    for number, query in enumerate(queries):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            if engine.dense is not None:
                engine.dense._vectors.clear()  # each embeds the query, as its first search does
            seconds[name].extend(timed(partial(searches[name], k=10), [query]))
    return seconds


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
