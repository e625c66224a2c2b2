"""Keeping the vector index in step with the store: embed what is new or changed, then index it.

Embeddings are saved batch by batch, so an interrupted run keeps what it computed; the next run
skips every paper whose stored embedding was made from the same text by the same embedder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from tqdm import tqdm

from papersift.embeddings.base import Embedder, Vectors, document_text
from papersift.indexes.base import VectorSearchIndex
from papersift.model import Paper
from papersift.store.embeddings import EmbeddingStore, text_hash
from papersift.store.papers import PaperStore

_CHUNK = 1024  # papers looked at per step; embedded in embedder batches within a step


@dataclass
class _Pending:
    """Papers whose vectors go into the index this run, in store order, with their attributes."""

    ids: list[str] = field(default_factory=list)
    dates: list[date | None] = field(default_factory=list)
    categories: list[tuple[str, ...]] = field(default_factory=list)
    last_rev: int = 0

    def note(self, rev: int, paper: Paper) -> None:
        self.ids.append(paper.id)
        self.dates.append(paper.display_date)
        self.categories.append(paper.categories)
        self.last_rev = max(self.last_rev, rev)


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


def update_vector_index(
    papers: PaperStore,
    embeddings: EmbeddingStore,
    embedder: Embedder,
    index: VectorSearchIndex,
    *,
    rebuild: bool = False,
    batch_size: int = 32,
    exact_below: int = 20_000,
    hnsw_m: int | None = None,
    hnsw_ef_construction: int | None = None,
    progress: bool = False,
) -> VectorReport:
    started = time.perf_counter()
    store_id = papers.store_id()
    since = None if rebuild else index.indexed_rev(store_id, embedder.identity)
    if since is not None and index.needs_rebuild:
        since = None  # too many replaced vectors, or an exact index that outgrew exact search
    pending = _Pending(last_rev=since or 0)
    embedded = reused = 0
    changes = papers.changed_since(since or 0)
    total = papers.count() if since is None else None
    with tqdm(desc="embedding", unit=" papers", total=total, disable=not progress) as bar:
        for chunk in _chunks(changes, _CHUNK):
            new, old = _embed_missing(chunk, embeddings, embedder, batch_size)
            embedded, reused = embedded + new, reused + old
            for rev, paper in chunk:
                pending.note(rev, paper)
            bar.update(len(chunk))
    vectors = _load_vectors(embeddings, embedder, pending.ids)
    if since is None:
        index.build(
            pending.ids,
            vectors,
            dates=pending.dates,
            categories=pending.categories,
            identity=embedder.identity,
            store_id=store_id,
            store_rev=pending.last_rev,
            exact_below=exact_below,
            m=hnsw_m,
            ef_construction=hnsw_ef_construction,
            progress=progress,
        )
    elif pending.ids:
        index.add(
            pending.ids,
            vectors,
            dates=pending.dates,
            categories=pending.categories,
            store_rev=pending.last_rev,
        )
    return VectorReport(
        embedded,
        reused,
        len(pending.ids),
        since is None,
        time.perf_counter() - started,
        embedder.identity,
    )


def _chunks(changes: Iterator[tuple[int, Paper]], size: int) -> Iterator[list[tuple[int, Paper]]]:
    chunk: list[tuple[int, Paper]] = []
    for change in changes:
        chunk.append(change)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _embed_missing(
    chunk: list[tuple[int, Paper]],
    embeddings: EmbeddingStore,
    embedder: Embedder,
    batch_size: int,
) -> tuple[int, int]:
    """Embed the papers of ``chunk`` whose stored vector is missing or stale; (new, reused)."""
    texts = {paper.id: document_text(paper) for _, paper in chunk}
    hashes = {paper_id: text_hash(text) for paper_id, text in texts.items()}
    stored = embeddings.hashes(embedder.identity, list(texts))
    stale = [paper_id for paper_id in texts if stored.get(paper_id) != hashes[paper_id]]
    if stale:
        vectors = embedder.embed([texts[i] for i in stale], batch_size=batch_size)
        embeddings.save(embedder.identity, stale, [hashes[i] for i in stale], vectors)
    return len(stale), len(texts) - len(stale)


def _load_vectors(embeddings: EmbeddingStore, embedder: Embedder, ids: list[str]) -> Vectors:
    matrix = np.empty((len(ids), embedder.dimension), dtype=np.float32)
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        found = embeddings.vectors(embedder.identity, chunk, embedder.dimension)
        for offset, paper_id in enumerate(chunk):
            matrix[start + offset] = found[paper_id]
    return matrix
