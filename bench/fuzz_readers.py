"""Structure-aware fuzzing of every reader, and of the store's write path, run by hand.

Usage: python -m bench.fuzz_readers [--inputs 100000] [--seed 0] [--jobs 2]
                                    [--only jsonl,oai,atom,abs] [--failures DIR] [--no-store]

For each reader (JSON lines, OAI-PMH, Atom, .abs) it generates ``--inputs`` input files with the
Hypothesis generators of ``tests/fuzz/strategies.py`` (the CI tests in ``tests/fuzz`` run a few
hundred seeded inputs of the same generators), split evenly between that reader's generators
(own format, Kaggle, sample and BEIR/generic records for JSON lines; the arXiv and arXivRaw
formats for OAI-PMH), and feeds each through ``tests/fuzz/harness.py``: the reader itself,
``read_path`` (format detection), the harvester (OAI-PMH) or the arXiv API client (Atom), then
the papers they produce into a temporary SQLite store (upsert and read back) and a keyword
index. It prints one row per generator and per reader, and the number of exceptions other than
papersift's own that escaped (the bar is 0), with the inputs that caused them saved under
``--failures``.

Hypothesis runs in chunks of ``CHUNK`` inputs, each with its own seed (``--seed`` plus the chunk
number), so a run is reproducible and Hypothesis' memory stays bounded. Generation, not the
readers, takes most of the time: about 100 to 300 inputs a second per process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.fuzz.harness import Counts, Harness
from tests.fuzz.strategies import READER_OF, SUBFORMATS

CHUNK = 5_000
READERS = ("jsonl", "oai", "atom", "abs")
COLUMNS = ("inputs", "papers", "malformed", "refused_files", "own_errors", "stored", "uncaught",
           "store_failures")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="input files per reader")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="processes (one generator each)")
    parser.add_argument("--only", default=",".join(READERS), help="readers to fuzz")
    parser.add_argument(
        "--failures", type=Path, default=Path(tempfile.gettempdir()) / "papersift-fuzz-failures"
    )
    parser.add_argument("--no-store", action="store_true", help="skip the store and the index")
    args = parser.parse_args()
    readers = [r.strip() for r in args.only.split(",") if r.strip()]
    jobs = []
    for reader in readers:
        generators = [name for name, of in READER_OF.items() if of == reader]
        for index, name in enumerate(generators):
            share = args.inputs // len(generators) + (index < args.inputs % len(generators))
            jobs.append((name, share, args.seed, args.failures, not args.no_store))
    print(f"command: python -m bench.fuzz_readers {' '.join(sys.argv[1:])}".rstrip(), flush=True)
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        results = dict(pool.imap_unordered(_fuzz, jobs))
    seconds = time.perf_counter() - started
    _print(results, readers, seconds)
    escaped = sum(c.escaped for c in results.values())
    return 1 if escaped else 0


def _fuzz(job: tuple[str, int, int, Path, bool]) -> tuple[str, Counts]:
    name, total, base_seed, failures, store = job
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as workdir:
        harness = Harness(Path(workdir), store=store, index=store, failures_dir=failures)
        done, chunk = 0, 0
        strategy = SUBFORMATS[name]()
        while done < total:
            size = min(CHUNK, total - done)

            @settings(
                max_examples=size,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(strategy)
            def run(file: tuple[str, bytes]) -> None:
                harness.feed(name, *file)

            before = harness.counts.get(name, Counts()).inputs
            seed(base_seed * 1_000_003 + chunk)(run)()
            made = harness.counts[name].inputs - before
            if made == 0:
                break  # Hypothesis found no new inputs (cannot happen with these generators)
            done, chunk = done + made, chunk + 1
            counts = harness.counts[name]
            print(
                f"  {name}: {done:,}/{total:,} inputs, {counts.escaped} escaped",
                file=sys.stderr,
                flush=True,
            )
        harness.close()
        counts = harness.counts[name]
        index = harness.counts.get("(index)")
        if index is not None:  # index failures belong to the generator whose papers they were
            counts.indexed += index.indexed
            counts.index_failures += index.index_failures
            counts.failures += index.failures
        return name, counts


def _print(results: dict[str, Counts], readers: list[str], seconds: float) -> None:
    header = f"{'generator':<20}" + "".join(f"{c:>15}" for c in COLUMNS) + f"{'indexed':>10}"
    print(header)
    totals: dict[str, Counts] = {}
    for name in (n for n in SUBFORMATS if n in results):
        counts = results[name]
        print(_row(name, counts))
        total = totals.setdefault(READER_OF[name], Counts())
        for f in fields(Counts):
            if f.name != "failures":
                setattr(total, f.name, getattr(total, f.name) + getattr(counts, f.name))
    print("-" * len(header))
    for reader in readers:
        if reader in totals:
            print(_row(f"{reader} (all)", totals[reader]))
    inputs = sum(c.inputs for c in results.values())
    escaped = sum(c.escaped for c in results.values())
    print(
        f"{inputs:,} inputs in {seconds / 60:.1f} min; exceptions other than papersift's own"
        f" that escaped a reader, the harvester or the API client, or failed the store or the"
        f" index write: {escaped}"
    )
    for counts in results.values():
        for failure in counts.failures:
            print(f"  {failure}")


def _row(name: str, counts: Counts) -> str:
    values = "".join(f"{getattr(counts, c):>15,}" for c in COLUMNS)
    return f"{name:<20}{values}{counts.indexed:>10,}"


if __name__ == "__main__":
    sys.exit(main())
