"""Single-query keyword search latency over the 74,728-paper sample.

Queries are 2-6 consecutive content words from real titles (what a reader types). Measures the
retriever alone and the engine's full search (hits plus stored metadata for display).
Bars (issue 2): p50 <= 5 ms, p99 <= 20 ms. Usage: python -m bench.keyword_latency [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.common import SAMPLE, key_phrase_queries, percentiles, require, timed
from papersift.engine import Engine
from papersift.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="an existing data dir holding the sample")
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="papersift-bench-"))
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'papersift.db'}")
    engine = Engine(settings)
    if engine.papers.count() == 0:
        print("building the index first ...")
        engine.ingest([require(SAMPLE)])
    queries = key_phrase_queries(args.queries)
    retriever = engine.retriever("bm25")
    timed(lambda q: retriever.search(q, 10), queries[:50])  # warm caches
    rows = {
        "retriever (top 10)": timed(lambda q: retriever.search(q, 10), queries),
        "engine.search (top 10 + metadata)": timed(lambda q: engine.search(q, k=10), queries),
    }
    print(f"{len(queries)} queries over {engine.papers.count():,} papers, e.g. {queries[:3]}")
    for name, seconds in rows.items():
        stats = percentiles(seconds)
        print(
            f"{name:<36} p50 {stats['p50_ms']:5.2f} ms  p90 {stats['p90_ms']:5.2f} ms  "
            f"p99 {stats['p99_ms']:5.2f} ms  max {stats['max_ms']:6.2f} ms"
        )
    print("bars: p50 <= 5 ms, p99 <= 20 ms")
    engine.close()


if __name__ == "__main__":
    main()
