"""Child processes that end with the process that started them.

``papersift serve`` runs ``embed --watch`` beside the website. Stopping the server with SIGTERM
(``kill``, a service manager) ends it without running its clean-up (uvicorn re-raises the
signal once it has shut down), so a child that only the clean-up stopped went on embedding, and
holding the deployment's embedding lock, with no server left. On Linux the kernel now sends the
child SIGTERM when its parent dies (``PR_SET_PDEATHSIG``); elsewhere the clean-up is all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def spawn_tied_to_parent(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, niceness: int = 0
) -> subprocess.Popen[bytes]:
    """Start ``command`` at ``niceness`` (lower CPU priority when above 0), ending it with
    SIGTERM when this process dies, however it dies (on Linux)."""
    return subprocess.Popen(
        list(command),
        preexec_fn=_child_setup(os.getpid(), niceness),
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
    )


def _child_setup(parent: int, niceness: int) -> Callable[[], None]:
    prctl = _prctl()

    def setup() -> None:  # runs in the child, between fork and exec
        if niceness:
            os.nice(niceness)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the parent died before the request was made
                os.kill(os.getpid(), signal.SIGTERM)

    return setup


def _prctl() -> Callable[[int, int], int] | None:
    """libc's prctl on Linux (looked up before forking: nothing is loaded in the child)."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        function: Callable[[int, int], int] = ctypes.CDLL(name, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function
