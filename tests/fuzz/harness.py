"""Feed generated input files through every reader, and what they produce through the store.

For one input file of a format, ``Harness.feed`` runs:

* the format's own reader (``read_jsonl``, ``read_oai``, ``read_atom``, ``read_abs``);
* ``read_path``, which detects the format from the content first (a mutated file may now look
  like another format, or like none: ``UnknownFormatError``);
* for OAI-PMH pages, the harvester (``OAIHarvester.pages``) on the same bytes served as the
  answer, and for Atom feeds, the arXiv API client (``ArxivClient.fetch``);

and counts what comes out. Only papersift's own errors (``PapersiftError``) may leave any of
them; anything else is an *uncaught* exception, recorded with the input that caused it (saved
to ``failures_dir`` when one is given). The papers the readers produce are then written to a
temporary SQLite store in batches (``PaperStore.upsert``, which merges records of the same
paper, so ids are drawn from a small pool), read back, and added to a keyword index; a batch that
fails is retried paper by paper to name the culprits.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papersift.errors import PapersiftError
from papersift.indexes.keyword import KeywordIndex
from papersift.model import Paper
from papersift.sources import Malformed, Record
from papersift.sources.abs import read_abs
from papersift.sources.arxiv_api import ArxivClient
from papersift.sources.atom import read_atom
from papersift.sources.detect import read_path
from papersift.sources.harvest import HarvestRequest, OAIHarvester
from papersift.sources.jsonl import read_jsonl
from papersift.sources.oai import read_oai
from papersift.store.database import migrate, open_database
from papersift.store.papers import PaperStore

KEPT_FAILURES = 20  # per format


def _reader_of(fmt: str) -> Callable[[Path], Iterator[Record]]:
    if fmt.startswith("jsonl"):
        return read_jsonl
    if fmt.startswith("oai"):
        return read_oai
    return {"atom": read_atom, "abs": read_abs}[fmt]


@dataclass
class Failure:
    format: str
    stage: str  # reader, detect, harvest, arxiv-api, store, index
    error: str
    where: str  # the innermost frame of papersift's code, or the paper
    saved: Path | None = None

    def __str__(self) -> str:
        saved = f" (input saved as {self.saved})" if self.saved else ""
        return f"{self.format} {self.stage}: {self.error} at {self.where}{saved}"


@dataclass
class Counts:
    inputs: int = 0
    papers: int = 0
    malformed: int = 0
    refused_files: int = 0  # read_path's UnknownFormatError
    own_errors: int = 0  # HarvestError and the like from the harvester and the API client
    uncaught: int = 0
    stored: int = 0
    store_failures: int = 0
    indexed: int = 0
    index_failures: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def escaped(self) -> int:
        """Every exception that should not have happened: uncaught ones and write failures."""
        return self.uncaught + self.store_failures + self.index_failures

    def note(self, failure: Failure) -> None:
        if len(self.failures) < KEPT_FAILURES:
            self.failures.append(failure)


class _Response:
    status_code = 200
    reason = "OK"

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.headers: dict[str, str] = {}


class _Session:
    """Answers every request with the same body, as a server would."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.headers: dict[str, str] = {}

    def get(self, *args: Any, **kwargs: Any) -> _Response:
        return _Response(self.body)

    def close(self) -> None:
        pass


class Harness:
    """Feeds inputs through the readers; collects their papers and writes them to a store."""

    def __init__(
        self,
        workdir: Path,
        *,
        store: bool = True,
        index: bool = True,
        batch: int = 500,
        failures_dir: Path | None = None,
    ) -> None:
        self.workdir = workdir
        self.inputs = workdir / "input"
        self.inputs.mkdir(parents=True, exist_ok=True)
        self.failures_dir = failures_dir
        self.batch = batch
        self.counts: dict[str, Counts] = {}
        self._pending: list[tuple[str, Paper]] = []
        self._store: PaperStore | None = None
        self._index: KeywordIndex | None = None
        self._indexed_rev = 0
        if store:
            database = open_database(f"sqlite:///{workdir / 'store.db'}", pool_size=1)
            migrate(database)
            self._store = PaperStore(database)
            if index:
                self._index = KeywordIndex(workdir / "index")

    def close(self) -> None:
        self.flush()
        if self._store is not None:
            self._store.db.dispose()

    # reading -----------------------------------------------------------------------------------

    def feed(self, fmt: str, name: str, data: bytes) -> list[Failure]:
        """Run one input file through everything; returns the failures it caused."""
        counts = self.counts.setdefault(fmt, Counts())
        counts.inputs += 1
        before = len(counts.failures), counts.escaped
        for old in self.inputs.iterdir():
            old.unlink()
        path = self.inputs / name
        path.write_bytes(data)
        records = self._stage(fmt, "reader", data, name, lambda: list(_reader_of(fmt)(path)))
        for record in records or []:
            if isinstance(record, Paper):
                counts.papers += 1
                self._pending.append((fmt, record))
            elif isinstance(record, Malformed):
                counts.malformed += 1
                assert isinstance(record.position, int) and str(record)
            else:
                raise AssertionError(f"a reader yielded {record!r}")
        self._stage(fmt, "detect", data, name, lambda: list(read_path(path)), own="refused")
        if fmt.startswith("oai"):
            self._stage(fmt, "harvest", data, name, lambda: _harvest(data), own="own")
        if fmt == "atom":
            ids = [r.id for r in records or [] if isinstance(r, Paper)] or ["2501.00001"]
            self._stage(fmt, "arxiv-api", data, name, lambda: _fetch(data, ids[0]), own="own")
        if len(self._pending) >= self.batch:
            self.flush()
        if counts.escaped == before[1]:
            return []
        return counts.failures[before[0] :] or [Failure(fmt, "?", "(not kept)", name)]

    def _stage(
        self,
        fmt: str,
        stage: str,
        data: bytes,
        name: str,
        run: Callable[[], Any],
        own: str | None = None,
    ) -> Any:
        counts = self.counts[fmt]
        try:
            return run()
        except PapersiftError:
            if own is None:  # a reader must report bad input as Malformed, not raise
                counts.uncaught += 1
                counts.note(self._failure(fmt, stage, data, name))
            elif own == "refused":
                counts.refused_files += 1
            else:
                counts.own_errors += 1
        except Exception:
            counts.uncaught += 1
            counts.note(self._failure(fmt, stage, data, name))
        return None

    def _failure(self, fmt: str, stage: str, data: bytes, name: str) -> Failure:
        error, where = _describe_current()
        saved = None
        if self.failures_dir is not None:
            self.failures_dir.mkdir(parents=True, exist_ok=True)
            number = self.counts[fmt].uncaught + self.counts[fmt].store_failures
            saved = self.failures_dir / f"{fmt}-{stage}-{number}-{name}"
            saved.write_bytes(data)
        return Failure(fmt, stage, error, where, saved)

    # writing -----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the pending papers to the store and the keyword index."""
        pending, self._pending = self._pending, []
        if self._store is None or not pending:
            return
        self._write([paper for _fmt, paper in pending], pending)
        if self._index is not None:
            self._index_changes()

    def _write(self, papers: list[Paper], pending: list[tuple[str, Paper]]) -> None:
        store = self._store
        assert store is not None
        try:
            with store.db.begin() as connection:
                store.upsert(connection, papers)
            store.get_many(list({p.id for p in papers}))  # and read them back
        except Exception:
            if len(papers) > 1:  # find the culprits
                for fmt, paper in pending:
                    self._write([paper], [(fmt, paper)])
                return
            fmt = pending[0][0]
            error, where = _describe_current()
            self.counts[fmt].store_failures += 1
            self.counts[fmt].note(
                Failure(fmt, "store", error, f"{where}; paper {papers[0]!r:.300}")
            )
            return
        for fmt, _paper in pending:
            self.counts[fmt].stored += 1

    def _index_changes(self) -> None:
        store, index = self._store, self._index
        assert store is not None and index is not None
        changes = list(store.changed_since(self._indexed_rev))
        if not changes:
            return
        if self._add_to_index(changes) is not None:
            for change in changes:  # find the culprits
                if (problem := self._add_to_index([change])) is not None:
                    counts = self.counts.setdefault("(index)", Counts())
                    counts.index_failures += 1
                    error, where = problem
                    paper = f"{where}; paper {change[1]!r:.300}"
                    counts.note(Failure("(index)", "index", error, paper))
        self._indexed_rev = max(rev for rev, _paper in changes)

    def _add_to_index(self, changes: Iterable[tuple[int, Paper]]) -> tuple[str, str] | None:
        """None when the changes are indexed, else the error and where it happened."""
        assert self._index is not None
        try:
            written = self._index.update(changes, store_id="fuzz", memory_mb=50)
        except Exception:
            return _describe_current()
        self.counts.setdefault("(index)", Counts()).indexed += written
        return None


def _harvest(body: bytes) -> list[Record]:
    harvester = OAIHarvester(delay=0, max_retries=0, session=_Session(body), sleep=lambda s: None)  # type: ignore[arg-type]
    request = HarvestRequest("http://fuzz.invalid/oai2", None, None, None)
    return [record for page in harvester.pages(request) for record in page.records]


def _fetch(body: bytes, paper_id: str) -> Paper | None:
    return ArxivClient("http://fuzz.invalid/api/query", session=_Session(body)).fetch(paper_id)  # type: ignore[arg-type]


def _describe_current() -> tuple[str, str]:
    """The exception being handled, and the innermost frame of papersift's own code."""
    import sys

    error = sys.exc_info()[1]
    assert error is not None
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "papersift" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return f"{type(error).__name__}: {str(error)[:200]}", where
