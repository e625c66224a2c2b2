"""The ``papersift.json`` file that makes an index directory self-describing."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papersift.errors import IndexError_

META_FILE = "papersift.json"


def meta_stamp(directory: Path) -> int | None:
    """When the metadata file last changed (ns), or None without one: a cheap change check."""
    try:
        return (directory / META_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return None


def read_meta(directory: Path) -> dict[str, Any] | None:
    """The index metadata in ``directory``, or None when there is no index there."""
    path = directory / META_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexError_(f"index metadata {path} is unreadable: {exc}") from exc
    return data if isinstance(data, dict) else None


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    """Replace the metadata atomically (readers see the old file or the new one), stamped."""
    stamped = meta | {"updated_at": datetime.now(UTC).isoformat()}
    temporary = directory / (META_FILE + ".tmp")
    temporary.write_text(json.dumps(stamped, indent=2))
    os.replace(temporary, directory / META_FILE)
