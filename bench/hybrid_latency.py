"""End-to-end semantic and hybrid search latency on the 74,728-paper arXiv sample.

Needs a data dir where `papersift ingest` and `papersift index` have run with semantic search on
(the embeddings of the whole sample take a while on 2 cores; they are computed once).
Prints p50/p99 of: query embedding alone, dense search, BM25, hybrid (query embedding included),
and similar papers. Bar (issue 3): hybrid p99 <= 50 ms.

With ``--former``, hybrid search is also timed as it was before issue 28's fusion and author
search (fusion: convex z-score, equal weights, a list's minimum for a candidate missing from it;
no author step), the two taking turns query by query in the same process, so that both face the
same load (issue 28's bar: the current p99 no more than 20% above the former's).
Usage: python -m bench.hybrid_latency --data-dir DIR [--queries 500] [--former]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from bench.common import key_phrase_queries, percentiles, timed
from papersift.engine import Engine
from papersift.retrieval.hybrid import Fusion, HybridRetriever
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
        rows = {"hybrid now (engine.search_hits)": now, "hybrid former fusion, no authors": former}
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


def compared(engine: Engine, queries: list[str]) -> tuple[list[float], list[float]]:
    """Seconds of each query's hybrid search now and with the former fusion and no author
    step, taking turns (which goes first alternates)."""
    current = engine.retriever("hybrid")
    settings = engine.settings
    former = HybridRetriever(
        [engine.bm25, engine.retriever("dense")],
        Fusion("convex", (0.5, 0.5), normalise="zscore", depth=settings.hybrid_depth),
    )
    authors_named = engine.authors_named

    def search_now(query: str) -> object:
        return engine.search_hits(query, k=10, mode="hybrid")

    def search_former(query: str) -> object:
        engine._retrievers["hybrid"] = former
        engine.authors_named = lambda query, filters=None: []  # type: ignore[method-assign]
        try:
            return engine.search_hits(query, k=10, mode="hybrid")
        finally:
            engine._retrievers["hybrid"] = current
            engine.authors_named = authors_named  # type: ignore[method-assign]

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
