"""Wall time of ``papersift show ID``: start-up (imports, opening the store) plus one read.

With ``--before SRC`` (the ``src`` folder of another checkout, e.g. a ``git worktree`` of an
older commit) the two take turns run by run, so both face the same load.
Usage: python -m bench.cli_startup --data-dir DIR --paper ID [--runs 10] [--before SRC]
    [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE_SRC = Path(__file__).resolve().parents[1] / "src"


def timed_show(src: Path, data_dir: Path, paper_id: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "PAPERSIFT_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "papersift", "show", paper_id],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def summary(seconds: list[float]) -> dict[str, float]:
    return {
        "mean_s": round(statistics.mean(seconds), 3),
        "p50_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--paper", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--before", type=Path, help="the src folder of the checkout to compare")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sides = {"now": HERE_SRC, **({"before": args.before} if args.before else {})}
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.runs):
        for name, src in sides.items():
            times[name].append(timed_show(src, args.data_dir, args.paper))
    load = os.getloadavg()[0]
    result = {
        "paper": args.paper,
        "runs": args.runs,
        "load_1min": round(load, 2),
        **{name: summary(seconds) for name, seconds in times.items()},
    }
    for name, seconds in times.items():
        stats = summary(seconds)
        print(f"{name:<7} mean {stats['mean_s']:.3f} s  p50 {stats['p50_s']:.3f} s")
    print(f"load average (1 min) at the end: {load:.2f}")
    if args.json:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
