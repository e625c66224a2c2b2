"""The keyword accelerator: an impact snapshot beside the keyword index, used only while it
mirrors that index exactly.

The snapshot lives in ``<keyword dir>.impact``; a new one is built in ``.impact.next`` and
switched in (``papersift.indexes.swap``), so searches use the old one, or tantivy, meanwhile.
Each search checks, with a few ``stat`` calls, whether the keyword index or the snapshot
changed since the last check; if so it compares the snapshot's recorded source with the
index's state again. A snapshot that does not match is not used: tantivy answers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from papersift.indexes.impact import pisa
from papersift.indexes.impact.builder import Built, SnapshotBuilder, SnapshotOutdated
from papersift.indexes.impact.snapshot import (
    Snapshot,
    Source,
    recorded_source,
    source_of,
    write_snapshot_meta,
)
from papersift.indexes.meta import META_FILE
from papersift.indexes.swap import fresh_staging, recover, switch
from papersift.model import Paper

MODES = ("auto", "on", "off")
# Below this many papers tantivy answers in well under a millisecond: ``auto`` builds no
# snapshot (``on`` builds one at any size).
AUTO_MIN_PAPERS = 20_000

_log = logging.getLogger(__name__)
Papers = Callable[[], Iterable[tuple[int, Paper]]]


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


class KeywordAccelerator:
    """The snapshot of one keyword index (in ``keyword_dir``) built with ``boosts``."""

    def __init__(self, keyword_dir: Path, boosts: dict[str, float], mode: str = "auto") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown keyword accelerator mode {mode!r}; choose one of {MODES}")
        self.keyword_dir = keyword_dir
        self.path = keyword_dir.with_name(keyword_dir.name + ".impact")
        self.boosts = dict(boosts)
        self.mode = mode
        self._stamps: tuple[object, ...] | None = None
        self._snapshot: Snapshot | None = None
        self._loaded_from: object = None
        self._usable = False
        self._broken = False
        self._lock = threading.Lock()

    # searching ---------------------------------------------------------------------------------

    def current(self) -> Snapshot | None:
        """The snapshot when it mirrors the keyword index as it is now, else None."""
        if self.mode == "off" or self._broken:
            return None
        # A new snapshot is only ever switched in whole (a rename), so the directory's own
        # stamp covers its files: three calls, each a point where another search thread may
        # take the interpreter from this one.
        stamps = (
            _stamp(self.keyword_dir / META_FILE),
            _stamp(self.keyword_dir / "meta.json"),
            _stamp(self.path),
        )
        if stamps != self._stamps:
            with self._lock:
                self._check(stamps)
        return self._snapshot if self._usable else None

    def _check(self, stamps: tuple[object, ...]) -> None:
        self._stamps = stamps
        recorded = recorded_source(self.path)
        self._usable = recorded is not None and recorded == source_of(self.keyword_dir)
        if not self._usable:
            return
        if self._snapshot is None or stamps[2] != self._loaded_from:
            self._snapshot = self._open()
            self._loaded_from = stamps[2]
        self._usable = self._snapshot is not None and self._snapshot.boosts == self.boosts

    def _open(self) -> Snapshot | None:
        try:
            return Snapshot(self.path)
        except pisa.PisaUnavailable as exc:
            if self.mode == "on":
                _log.warning("keyword accelerator off, tantivy answers: %s", exc)
            self._broken = True
        except Exception as exc:  # a damaged snapshot must not break search: tantivy answers
            _log.warning("keyword accelerator: cannot open %s (%s)", self.path, exc)
        return None

    # building ----------------------------------------------------------------------------------

    def refresh(
        self, index: Any, analyzers: dict[str, Any], papers: Papers, *, progress: bool = False
    ) -> Built | None:
        """Build a new snapshot when the keyword index has changed since the last one (and the
        mode and size call for one); returns what was built, None when nothing was (also when
        another process is building one). A failed build is logged and leaves tantivy
        answering."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_name(self.path.name + ".lock").open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            return self._refresh_locked(index, analyzers, papers, progress)

    def _refresh_locked(
        self, index: Any, analyzers: dict[str, Any], papers: Papers, progress: bool
    ) -> Built | None:
        recover(self.path)
        source = source_of(self.keyword_dir)
        documents = int(index.searcher().num_docs)
        if not self._wanted(documents) or source is None:
            self.remove()
            return None
        if recorded_source(self.path) == source and self._recorded_boosts() == self.boosts:
            return None
        try:
            pisa.module()
        except pisa.PisaUnavailable as exc:
            if self.mode == "on":
                _log.warning("keyword accelerator not built: %s", exc)
            return None
        try:
            return self._build(index, analyzers, papers, source, documents, progress)
        except SnapshotOutdated as exc:
            _log.warning("keyword accelerator not rebuilt (%s); tantivy answers", exc)
        except Exception:
            _log.warning("keyword accelerator build failed; tantivy answers", exc_info=True)
        shutil.rmtree(self.path.with_name(self.path.name + ".next"), ignore_errors=True)
        return None

    def _wanted(self, documents: int) -> bool:
        if self.mode == "off" or documents == 0:
            return False
        return self.mode == "on" or documents >= AUTO_MIN_PAPERS

    def _recorded_boosts(self) -> dict[str, float] | None:
        try:
            return Snapshot.recorded_boosts(self.path)
        except Exception:
            return None

    def _build(
        self,
        index: Any,
        analyzers: dict[str, Any],
        papers: Papers,
        source: Source,
        documents: int,
        progress: bool,
    ) -> Built:
        staging = fresh_staging(self.path)
        with tqdm(
            total=documents, desc="keyword accelerator", unit=" papers", disable=not progress
        ) as bar:
            builder = SnapshotBuilder(
                index, analyzers, self.boosts, staging,
                store_rev=source.store_rev, on_paper=lambda: bar.update(),
            )  # fmt: skip
            built = builder.build(papers())
        if built.documents != documents:
            raise SnapshotOutdated(
                f"the store has {built.documents:,} papers, the keyword index {documents:,}"
            )
        if source_of(self.keyword_dir) != source:
            raise SnapshotOutdated("the keyword index changed during the build")
        write_snapshot_meta(
            staging,
            source,
            {
                "scale": built.scale,
                "boosts": self.boosts,
                "documents": built.documents,
                "terms": built.terms,
                "postings": built.postings,
                "build_s": round(built.seconds, 2),
                "pisa": f"{pisa.PISA_PACKAGE} {pisa.PISA_VERSION}",
            },
        )
        switch(self.path)
        _log.info("keyword accelerator: %s papers in %.1f s", f"{documents:,}", built.seconds)
        return built

    def remove(self) -> None:
        for path in (self.path, self.path.with_name(self.path.name + ".next")):
            if os.path.lexists(path):
                shutil.rmtree(path, ignore_errors=True)
        self._stamps = None
