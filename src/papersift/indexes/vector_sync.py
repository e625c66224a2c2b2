"""Keeping the vector index in step with the store: embed what is new or changed, then index it.

Embeddings are saved batch by batch, so an interrupted run keeps what it computed; the next run
skips every paper whose stored embedding was made from the same text by the same embedder.

A first fill (no vector index yet) and every catch-up publish as they go: papers are embedded
newest first, and the index gets a new generation every ``Publishing.every_papers`` papers or
``Publishing.every_seconds`` seconds, so semantic search covers the newest papers within minutes
and grows while the rest are embedded. Until the run completes, the index keeps the revision it
was complete up to; a fill marker in the store (``FILL_KEY``) lets an interrupted fill resume
without publishing its papers twice. A rebuild, or a new embedder, builds the whole index and
switches to it at once, so searches keep the complete old index meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from tqdm import tqdm

from papersift.embeddings.base import Embedder, Vectors, document_text
from papersift.indexes.base import VectorSearchIndex
from papersift.store.embeddings import EmbeddingStore, text_hash
from papersift.store.info import delete_info, read_info, write_info
from papersift.store.papers import PaperStore

_CHUNK = 256  # papers looked at per step; embedded in embedder batches within a step
FILL_KEY = "vector_fill"
# Vectors of the same text by the same embedder, one read back from the index's float16 copy.
_SAME_VECTOR = 0.999


@dataclass(frozen=True, slots=True)
class Publishing:
    """How often an incremental run makes its new vectors searchable."""

    every_papers: int = 2_000
    every_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Where a run is: ``done`` of ``total`` pending papers looked at, ``published`` of them
    searchable, after ``seconds``."""

    total: int
    done: int
    embedded: int
    published: int
    seconds: float
    finished: bool = False


@dataclass(frozen=True, slots=True)
class _Entry:
    paper_id: str
    rev: int
    day: date | None
    categories: tuple[str, ...]
    digest: str


@dataclass
class VectorReport:
    embedded: int
    reused: int
    indexed: int
    rebuilt: bool
    seconds: float
    embedder: str

    def summary(self) -> str:
        action = "rebuilt" if self.rebuilt else "updated"
        return (
            f"vector index {action} ({self.embedder}): {self.embedded:,} papers embedded, "
            f"{self.reused:,} embeddings reused, {self.indexed:,} vectors written, "
            f"{self.seconds:.1f} s"
        )


@dataclass(frozen=True, slots=True)
class IndexShape:
    """Build parameters of the vector index (see ``VectorSearchIndex.build``)."""

    exact_below: int = 20_000
    m: int | None = None
    ef_construction: int | None = None
    embedder: dict[str, Any] | None = None  # recorded in the index: how to load its embedder


@dataclass
class _Run:
    """One run's state: what is pending, what has been embedded and published."""

    papers: PaperStore
    embeddings: EmbeddingStore
    embedder: Embedder
    index: VectorSearchIndex
    batch_size: int
    on_progress: Callable[[SyncProgress], None] | None
    started: float = field(default_factory=time.perf_counter)
    total: int = 0
    done: int = 0
    embedded: int = 0
    reused: int = 0
    published: int = 0

    def report_progress(self, *, finished: bool = False) -> None:
        if self.on_progress is not None:
            seconds = time.perf_counter() - self.started
            self.on_progress(
                SyncProgress(
                    self.total, self.done, self.embedded, self.published, seconds, finished
                )
            )

    def embed_missing(self, entries: Sequence[_Entry]) -> list[_Entry]:
        """Embed the entries whose stored vector is missing or stale; returns the fresh ones
        that were already stored (reused)."""
        ids = [entry.paper_id for entry in entries]
        stored = self.embeddings.hashes(self.embedder.identity, ids)
        stale = [entry for entry in entries if stored.get(entry.paper_id) != entry.digest]
        if stale:
            found = self.papers.get_many([entry.paper_id for entry in stale])
            stale = [entry for entry in stale if entry.paper_id in found]
            texts = [document_text(found[entry.paper_id]) for entry in stale]
            vectors = self.embedder.embed(texts, batch_size=self.batch_size)
            self.embeddings.save(
                self.embedder.identity,
                [entry.paper_id for entry in stale],
                [text_hash(text) for text in texts],
                vectors,
            )
        self.embedded += len(stale)
        stale_ids = {entry.paper_id for entry in stale}
        fresh = [entry for entry in entries if entry.paper_id not in stale_ids]
        self.reused += len(fresh)
        return fresh

    def vectors(self, entries: Sequence[_Entry]) -> Vectors:
        return _load_vectors(self.embeddings, self.embedder, [e.paper_id for e in entries])


def update_vector_index(
    papers: PaperStore,
    embeddings: EmbeddingStore,
    embedder: Embedder,
    index: VectorSearchIndex,
    *,
    store_key: str | None = None,
    rebuild: bool = False,
    batch_size: int = 32,
    shape: IndexShape | None = None,
    publishing: Publishing | None = None,
    on_progress: Callable[[SyncProgress], None] | None = None,
    progress: bool = False,
) -> VectorReport:
    """Bring ``index`` up to date with the store; incrementally unless it must be rebuilt."""
    run = _Run(papers, embeddings, embedder, index, batch_size, on_progress)
    shape = shape or IndexShape()
    store_id = store_key or papers.store_id()
    since = index.indexed_rev(store_id, embedder.identity)
    whole = rebuild or (since is None and index.meta() is not None)
    if whole:
        _build_whole(run, store_id, shape, progress)
    else:
        _publish_as_you_go(run, store_id, since or 0, shape, publishing or Publishing(), progress)
        if index.needs_rebuild:  # an exact index outgrew exact search, or too many tombstones
            _build_whole(run, store_id, shape, progress)
            whole = True
    run.report_progress(finished=True)
    return VectorReport(
        run.embedded,
        run.reused,
        run.published,
        whole,
        time.perf_counter() - run.started,
        embedder.identity,
    )


def _build_whole(run: _Run, store_id: str, shape: IndexShape, progress: bool) -> None:
    """Embed what is missing, then replace the index with every paper's vector at once."""
    entries = _pending(run.papers, 0)
    run.total, run.done = len(entries), 0
    with tqdm(total=len(entries), desc="embedding", unit=" papers", disable=not progress) as bar:
        for chunk in _chunks(entries, _CHUNK):
            run.embed_missing(chunk)
            run.done += len(chunk)
            bar.update(len(chunk))
            run.report_progress()
    run.index.build(
        [e.paper_id for e in entries],
        run.vectors(entries),
        dates=[e.day for e in entries],
        categories=[e.categories for e in entries],
        identity=run.embedder.identity,
        store_id=store_id,
        store_rev=max((e.rev for e in entries), default=0),
        exact_below=shape.exact_below,
        m=shape.m,
        ef_construction=shape.ef_construction,
        progress=progress,
        embedder=shape.embedder,
    )
    run.published = len(entries)
    delete_info(run.papers.db, FILL_KEY)


def _publish_as_you_go(
    run: _Run,
    store_id: str,
    since: int,
    shape: IndexShape,
    publishing: Publishing,
    progress: bool,
) -> None:
    entries = _pending(run.papers, since)
    target_rev = max((e.rev for e in entries), default=since)
    resumed = _resumed_fill(run, store_id, since)
    run.total = len(entries)
    unpublished: list[_Entry] = []
    last_publish = time.monotonic()
    with tqdm(total=len(entries), desc="embedding", unit=" papers", disable=not progress) as bar:
        for chunk in _chunks(entries, _CHUNK):
            fresh = run.embed_missing(chunk)
            already = _already_published(run, fresh, resumed) if resumed is not None else set()
            unpublished.extend(e for e in chunk if e.paper_id not in already)
            run.done += len(chunk)
            run.published += len(already)
            bar.update(len(chunk))
            due = time.monotonic() - last_publish >= publishing.every_seconds
            if unpublished and (len(unpublished) >= publishing.every_papers or due):
                _mark_fill(run, store_id, since, target_rev)
                _publish(run, unpublished, store_id, since, shape)
                unpublished, last_publish = [], time.monotonic()
            run.report_progress()
    _publish(run, unpublished, store_id, target_rev, shape)
    delete_info(run.papers.db, FILL_KEY)


def _publish(
    run: _Run, entries: list[_Entry], store_id: str, store_rev: int, shape: IndexShape
) -> None:
    """Make ``entries`` searchable: the first build of an index, else an add."""
    vectors = run.vectors(entries)
    ids = [e.paper_id for e in entries]
    dates = [e.day for e in entries]
    categories = [e.categories for e in entries]
    if run.index.meta() is None:
        if not entries:
            return
        run.index.build(
            ids,
            vectors,
            dates=dates,
            categories=categories,
            identity=run.embedder.identity,
            store_id=store_id,
            store_rev=store_rev,
            exact_below=shape.exact_below,
            m=shape.m,
            ef_construction=shape.ef_construction,
            embedder=shape.embedder,
        )
    else:
        run.index.add(ids, vectors, dates=dates, categories=categories, store_rev=store_rev)
    run.published += len(entries)


def _mark_fill(run: _Run, store_id: str, since: int, target_rev: int) -> None:
    """Remember that the index holds part of this run's papers (see ``_resumed_fill``)."""
    write_info(
        run.papers.db,
        FILL_KEY,
        {
            "store_id": store_id,
            "identity": run.embedder.identity,
            "since": since,
            "target_rev": target_rev,
        },
    )


def _resumed_fill(run: _Run, store_id: str, since: int) -> int | None:
    """The last revision an interrupted run published papers up to, when this run continues
    it (same store, embedder and starting revision); else None."""
    fill = read_info(run.papers.db, FILL_KEY)
    if fill is None or run.index.meta() is None:
        return None
    same = (fill.get("store_id"), fill.get("identity"), fill.get("since")) == (
        store_id,
        run.embedder.identity,
        since,
    )
    return int(fill["target_rev"]) if same else None


def _already_published(run: _Run, fresh: list[_Entry], resumed_rev: int) -> set[str]:
    """Papers an interrupted run already put in the index, unchanged since: their revision is
    within that run's, and the index holds their current vector."""
    candidates = [e for e in fresh if e.rev <= resumed_rev]
    if not candidates:
        return set()
    ids = [e.paper_id for e in candidates]
    indexed = run.index.vectors_of(ids)
    stored = run.embeddings.vectors(run.embedder.identity, ids, run.embedder.dimension)
    return {
        paper_id
        for paper_id, vector in indexed.items()
        if paper_id in stored and float(np.dot(vector, stored[paper_id])) >= _SAME_VECTOR
    }


def _pending(papers: PaperStore, since: int) -> list[_Entry]:
    """Papers changed after revision ``since``, newest first (by listing date, then id)."""
    entries = [
        _Entry(paper.id, rev, paper.display_date, paper.categories, text_hash(document_text(paper)))
        for rev, paper in papers.changed_since(since)
    ]
    entries.sort(key=lambda e: (e.day or date.min, e.paper_id), reverse=True)
    return entries


def _chunks(entries: list[_Entry], size: int) -> Iterator[list[_Entry]]:
    for start in range(0, len(entries), size):
        yield entries[start : start + size]


def _load_vectors(embeddings: EmbeddingStore, embedder: Embedder, ids: list[str]) -> Vectors:
    matrix = np.empty((len(ids), embedder.dimension), dtype=np.float32)
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        found = embeddings.vectors(embedder.identity, chunk, embedder.dimension)
        for offset, paper_id in enumerate(chunk):
            matrix[start + offset] = found[paper_id]
    return matrix
