"""A background child started by papersift serve ends when the server dies, however it dies."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from papersift.child_process import spawn_tied_to_parent

# A parent that starts a long-sleeping child through spawn_tied_to_parent, prints its pid, and
# dies at once without any clean-up, as a server does when SIGTERM reaches it.
PARENT = """
import os, sys
from papersift.child_process import spawn_tied_to_parent
child = spawn_tied_to_parent([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
os._exit(0)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for init to reap it is gone too
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_ends_when_its_parent_dies_without_cleaning_up() -> None:
    parent = subprocess.run(
        [sys.executable, "-c", PARENT], capture_output=True, text=True, timeout=30, check=True
    )
    child = int(parent.stdout.strip())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the child outlived its parent"


def test_the_child_runs_at_the_niceness_asked_for() -> None:
    child = spawn_tied_to_parent(
        [sys.executable, "-c", "import os, sys; sys.exit(os.nice(0))"], niceness=5
    )
    assert child.wait(timeout=30) == min(os.nice(0) + 5, 19)
