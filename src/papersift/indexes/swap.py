"""Rebuilding an index directory beside the one in service, then switching to it.

The new index is built in ``<name>.next``; the switch renames the live directory to
``<name>.old`` and the new one into its place, then removes the old one. Searches keep using the
live index until the switch, and a crash during the build leaves it in service. A crash between
the two renames leaves no live directory: ``recover`` (run whenever an engine opens) finishes the
switch when the new index is complete, and puts the old one back otherwise.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from papersift.indexes.meta import META_FILE, fsync_directory


def staging_path(live: Path) -> Path:
    return live.with_name(f"{live.name}.next")


def _old_path(live: Path) -> Path:
    return live.with_name(f"{live.name}.old")


def fresh_staging(live: Path) -> Path:
    """An empty staging directory for a new build of ``live`` (a failed build's leftovers go)."""
    staging = staging_path(live)
    shutil.rmtree(staging, ignore_errors=True)
    return staging


def switch(live: Path) -> None:
    """Put the complete build in ``staging_path(live)`` in service in place of ``live``."""
    staging, old = staging_path(live), _old_path(live)
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        os.rename(live, old)
    os.rename(staging, live)
    fsync_directory(live.parent)
    shutil.rmtree(old, ignore_errors=True)


def recover(live: Path) -> None:
    """Finish or undo a switch that a crash interrupted (nothing to do in the common case)."""
    if live.exists():
        return
    staging, old = staging_path(live), _old_path(live)
    if (staging / META_FILE).exists():
        os.rename(staging, live)
    elif old.exists():
        os.rename(old, live)
    else:
        return
    fsync_directory(live.parent)
