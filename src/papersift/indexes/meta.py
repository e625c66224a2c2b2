"""The ``papersift.json`` file that makes an index directory self-describing.

It is written atomically and durably (``write_atomically``): a crash or power loss at any moment
leaves either the old file or the new one, never a torn one. A file damaged all the same (by a
disk, a copy, a hand edit) is reported as an ``IndexError_`` that names it and says how to
repair it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papersift.errors import IndexError_

META_FILE = "papersift.json"
REPAIR_HINT = "run `papersift index` to repair it (it rebuilds the index)"


def meta_stamp(directory: Path) -> int | None:
    """When the metadata file last changed (ns), or None without one: a cheap change check."""
    try:
        return (directory / META_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return None


def read_meta(directory: Path) -> dict[str, Any] | None:
    """The index metadata in ``directory``, or None when there is no index there.

    Raises ``IndexError_`` naming the file when it cannot be read or is damaged (truncated,
    not JSON, not a JSON object), with the command that repairs it.
    """
    path = directory / META_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexError_(f"cannot read the index metadata {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        what = "empty" if not raw.strip() else f"not valid JSON ({_short(exc)})"
        raise IndexError_(f"the index metadata {path} is damaged: {what}; {REPAIR_HINT}") from exc
    if not isinstance(data, dict):
        raise IndexError_(
            f"the index metadata {path} is damaged: it holds a JSON {type(data).__name__},"
            f" not an object; {REPAIR_HINT}"
        )
    return data


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    """Replace the metadata atomically and durably (readers see the old file or the new one,
    and after a crash the new one if this returned), stamped with the time."""
    stamped = meta | {"updated_at": datetime.now(UTC).isoformat()}
    write_atomically(directory / META_FILE, json.dumps(stamped, indent=2).encode())


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so that no crash or power loss leaves a torn file.

    The data goes to a temporary file of a unique name beside ``path``, which is flushed to disk
    (fsync), renamed over ``path`` (atomic on POSIX filesystems), and then the directory is
    fsynced so that the rename itself survives a power loss. The temporary file is removed if
    anything fails. ``mode`` is the new file's permission bits (less the umask).
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename, a new file) to disk."""
    descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _short(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno} column {error.colno}"
    return str(error)[:120]
