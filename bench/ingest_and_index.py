"""Ingest the 74,728-paper arXiv sample into a fresh store and build the keyword index.

Prints the wall time, papers/s and the peak memory of the process. Bars (issue 2): under 60 s,
peak memory under 1.5 GB. Usage: python -m bench.ingest_and_index [--data-dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import SAMPLE, peak_rss_mb, require
from papersift.engine import Engine
from papersift.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="papersift-bench-"))
    if args.data_dir and data_dir.exists():
        shutil.rmtree(data_dir)
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'papersift.db'}")
    started = time.perf_counter()
    engine = Engine(settings)
    ingest = engine.ingest([require(SAMPLE)], update_index=False)
    ingested = time.perf_counter()
    index = engine.index(semantic=False)
    finished = time.perf_counter()
    engine.close()
    total = finished - started
    print(f"papers:           {ingest.records:,} ({ingest.added:,} added)")
    ingest_rate = ingest.records / (ingested - started)
    print(f"ingest:           {ingested - started:6.1f} s  ({ingest_rate:,.0f} papers/s)")
    print(f"keyword index:    {finished - ingested:6.1f} s  ({index.documents:,} documents)")
    print(
        f"ingest + index:   {total:6.1f} s  ({ingest.records / total:,.0f} papers/s)   bar: < 60 s"
    )
    print(f"peak memory:      {peak_rss_mb():6.0f} MB   bar: < 1536 MB")
    if args.data_dir or args.keep:
        print(f"data dir kept:    {data_dir}")
    else:
        shutil.rmtree(data_dir)


if __name__ == "__main__":
    main()
