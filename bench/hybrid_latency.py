"""End-to-end semantic and hybrid search latency on the 74,728-paper arXiv sample.

Needs a data dir where `papersift ingest` and `papersift index` have run with semantic search on
(the embeddings of the whole sample take a while on 2 cores; they are computed once).
Prints p50/p99 of: query embedding alone, dense search, BM25, hybrid (query embedding included),
and similar papers. Bar (issue 3): hybrid p99 <= 50 ms.
Usage: python -m bench.hybrid_latency --data-dir DIR [--queries 500]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from bench.common import key_phrase_queries, percentiles, timed
from papersift.engine import Engine
from papersift.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=500)
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
    meta = engine.vector_index.meta() or {}
    print(
        f"{engine.papers.count():,} papers, {embedder.identity}, vector index "
        f"{meta.get('kind')} ({len(queries)} queries, {len(paper_ids)} similar-paper seeds)"
    )
    for name, seconds in rows.items():
        stats = percentiles(seconds)
        print(
            f"{name:<36} p50 {stats['p50_ms']:6.2f} ms  p90 {stats['p90_ms']:6.2f} ms  "
            f"p99 {stats['p99_ms']:6.2f} ms"
        )
    print("bar: hybrid end to end p99 <= 50 ms")
    engine.close()


if __name__ == "__main__":
    main()
