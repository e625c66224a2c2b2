"""Each stage runs in a process of its own, so that its peak memory is its own.

The parent starts ``python -m bench.suite.stage NAME`` with the context as JSON, waits for it
and reads the result the stage wrote (with its peak memory, read by the stage itself: the
``ru_maxrss`` of a child starts at its parent's size). A stage that fails or is killed makes
the run fail, naming it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.suite.context import Context


class StageFailed(RuntimeError):
    pass


def run_stage(name: str, context: Context) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="papersift-stage-") as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, "-m", "bench.suite.stage", name, context.to_json(), str(out)]
        started = time.perf_counter()
        process = subprocess.Popen(command)
        try:
            process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
        if process.returncode != 0 or not out.exists():
            raise StageFailed(
                f"stage {name!r} at {context.papers:,} papers failed (exit {process.returncode})"
            )
        result: dict[str, Any] = json.loads(out.read_text())
    result["process_seconds"] = seconds
    return result
