"""A built snapshot on disk, and what it was built from.

A snapshot directory holds PISA's compiled index, its lexicons and ``papersift.json``, which
records the keyword index state it mirrors (``Source``): the store and history it was built
from, the store revision, and a digest of tantivy's own ``meta.json`` (its segments: a
commit, or a merge that drops deleted papers and so changes the statistics, changes it).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from papersift.errors import IndexError_
from papersift.indexes.impact import pisa
from papersift.indexes.meta import read_meta, write_meta

FORMAT = 1
_UNCHECKED = frozenset({"papersift.json", "pisa.log"})


@dataclass(frozen=True, slots=True)
class Source:
    """The state of the keyword index a snapshot mirrors."""

    store_id: str
    store_rev: int
    segments: str  # sha-256 of tantivy's meta.json


def source_of(keyword_dir: Path) -> Source | None:
    """The keyword index's state now; None when it has none yet (or it cannot be read)."""
    try:
        meta = read_meta(keyword_dir)
        segments = (keyword_dir / "meta.json").read_bytes()
    except (IndexError_, OSError):
        return None
    if meta is None or "store_id" not in meta:
        return None
    return Source(
        store_id=str(meta["store_id"]),
        store_rev=int(meta["store_rev"]),
        segments=hashlib.sha256(segments).hexdigest(),
    )


class SnapshotDamaged(ValueError):
    """A snapshot's files are not the ones it was built with (PISA would abort on them)."""


def write_snapshot_meta(directory: Path, source: Source, details: dict[str, Any]) -> None:
    """Record the source and every file's size and digest: PISA does not check its files and
    aborts the process on a damaged one, so they are checked before PISA opens them."""
    files = {
        path.name: [path.stat().st_size, _digest(path)]
        for path in sorted(directory.iterdir())
        if path.name not in _UNCHECKED
    }
    write_meta(directory, {"format": FORMAT, "source": asdict(source), "files": files, **details})


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "blake2b").hexdigest()


def _verify(directory: Path, meta: dict[str, Any]) -> None:
    files = meta.get("files")
    if not isinstance(files, dict) or not files:
        raise SnapshotDamaged(f"{directory} records no files")
    for name, (size, digest) in files.items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != size or _digest(path) != digest:
            raise SnapshotDamaged(f"{path} is missing or damaged")


def recorded_source(directory: Path) -> Source | None:
    """What the snapshot in ``directory`` was built from; None without a usable one."""
    try:
        meta = read_meta(directory)
    except IndexError_:
        return None
    if meta is None or meta.get("format") != FORMAT or not isinstance(meta.get("source"), dict):
        return None
    try:
        return Source(**meta["source"])
    except TypeError:
        return None


class Snapshot:
    """An open snapshot: top-k papers for weighted terms, with scores back on tantivy's scale."""

    def __init__(self, directory: Path) -> None:
        meta = read_meta(directory) or {}
        _verify(directory, meta)
        self.directory = directory
        self.scale = float(meta["scale"])
        self.boosts = {str(k): float(v) for k, v in dict(meta.get("boosts") or {}).items()}
        self._searcher = pisa.Searcher(directory)

    @staticmethod
    def recorded_boosts(directory: Path) -> dict[str, float] | None:
        meta = read_meta(directory)
        if meta is None or not isinstance(meta.get("boosts"), dict):
            return None
        return {str(k): float(v) for k, v in meta["boosts"].items()}

    def top(self, weights: dict[str, float], k: int) -> list[tuple[str, float]]:
        return [(name, score / self.scale) for name, score in self._searcher.top(weights, k)]
