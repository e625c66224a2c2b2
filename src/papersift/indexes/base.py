"""What the engine and the retrievers need of a keyword index and of a vector index. Each has
two implementations, chosen by the store: files in the data directory (tantivy, faiss) for
SQLite stores, tables in the database (full-text search, pgvector) for PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from papersift.filters import Filters
from papersift.indexes.keyword import KeywordHit
from papersift.model import Paper


class KeywordSearchIndex(Protocol):
    def meta(self) -> dict[str, Any] | None: ...
    def indexed_rev(self, store_id: str) -> int | None: ...
    def refresh(self) -> None: ...
    def clear(self) -> None: ...
    def document_count(self) -> int: ...
    def update(
        self,
        changes: Iterable[tuple[int, Paper]],
        *,
        store_id: str,
        memory_mb: int = ...,
        fresh: bool = ...,
    ) -> int: ...
    def search(self, query: str, k: int, filters: Filters | None = None) -> list[KeywordHit]: ...
    def scores_of(self, query: str, paper_ids: Collection[str]) -> dict[str, float]: ...
    def count(
        self, query: str, filters: Filters | None = None, *, at_most: int | None = None
    ) -> int: ...
    def more_like(
        self, texts: list[tuple[str, str]], k: int, filters: Filters | None = None
    ) -> list[KeywordHit]: ...
    def ids_matching(self, filters: Filters, limit: int = ...) -> set[str]: ...
    def ids_with_author_words(self, words: Sequence[str], limit: int = ...) -> set[str]: ...


class VectorSearchIndex(Protocol):
    def meta(self) -> dict[str, Any] | None: ...
    def indexed_rev(self, store_id: str, identity: str) -> int | None: ...
    def refresh(self) -> None: ...
    def load(self) -> None: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...
    @property
    def needs_rebuild(self) -> bool: ...
    def contains(self, paper_id: str) -> bool: ...
    def vector_of(self, paper_id: str) -> npt.NDArray[np.float32] | None: ...
    def vectors_of(self, paper_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]: ...
    def build(
        self,
        ids: Sequence[str],
        vectors: npt.NDArray[np.floating[Any]],
        *,
        dates: Sequence[date | None],
        categories: Sequence[Sequence[str]],
        identity: str,
        store_id: str,
        store_rev: int,
        exact_below: int = ...,
        m: int | None = ...,
        ef_construction: int | None = ...,
        progress: bool = ...,
        embedder: dict[str, Any] | None = ...,
    ) -> None: ...
    def add(
        self,
        ids: Sequence[str],
        vectors: npt.NDArray[np.floating[Any]],
        *,
        dates: Sequence[date | None],
        categories: Sequence[Sequence[str]],
        store_rev: int,
    ) -> None: ...
    def search(
        self,
        query: npt.NDArray[np.floating[Any]],
        k: int,
        *,
        categories: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        allowed_ids: Collection[str] | None = None,
        exclude_ids: Collection[str] = (),
        ef_search: int | None = None,
    ) -> list[tuple[str, float]]: ...
