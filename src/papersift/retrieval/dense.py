"""Dense retrieval: the query's embedding against the vector index."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection

import numpy as np

from papersift.embeddings.base import Embedder, Vectors
from papersift.filters import Filters
from papersift.indexes.base import VectorSearchIndex
from papersift.indexes.batches import unit_rows
from papersift.retrieval.base import Hit

QUERY_VECTORS_KEPT = 64  # the query embeddings kept: hybrid search scores a query twice


class DenseRetriever:
    """Semantic search: nearest neighbours of the query embedding, filters applied in the index.

    ``embedder`` is called on first use, so processes that never search semantically never load a
    model. ``authors_matching`` resolves an author filter to paper ids (the keyword index knows
    author names; the vector index does not). ``ef_search`` is the HNSW candidate list of every
    search, None for the index's own.
    """

    name = "dense"
    least_score = -1.0  # the least cosine (bounds hybrid fusion)
    scores_cheaply = True  # scores_of reads stored vectors: hybrid fusion asks it first

    def __init__(
        self,
        embedder: Callable[[], Embedder],
        index: VectorSearchIndex,
        authors_matching: Callable[[Filters], set[str]],
        ef_search: int | None = None,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.authors_matching = authors_matching
        self.ef_search = ef_search
        self._vectors: OrderedDict[tuple[int, str], Vectors] = OrderedDict()
        self._vectors_lock = threading.Lock()

    def ready(self) -> bool:
        """Whether the vector index has been built (``papersift index``)."""
        return self.index.meta() is not None

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.search_vector(self.query_vector(query), k, filters)

    def query_vector(self, query: str) -> Vectors:
        """The query's embedding; the last ``QUERY_VECTORS_KEPT`` are kept (per embedder), so
        that scoring more papers for a query just searched embeds it once."""
        embedder = self.embedder()
        key = (id(embedder), query)
        with self._vectors_lock:
            if key in self._vectors:
                self._vectors.move_to_end(key)
                return self._vectors[key]
        vector = embedder.embed_query(query)
        with self._vectors_lock:
            self._vectors[key] = vector
            while len(self._vectors) > QUERY_VECTORS_KEPT:
                self._vectors.popitem(last=False)
        return vector

    def scores_of(self, query: str, paper_ids: Collection[str]) -> dict[str, float]:
        """The cosine ``search`` gives each of ``paper_ids`` for ``query``, from its stored
        vector; papers without a vector are left out."""
        if not paper_ids or not query.strip():
            return {}
        stored = self.index.vectors_of(list(paper_ids))
        if not stored:
            return {}
        unit = unit_rows(np.asarray(self.query_vector(query), dtype=np.float32).reshape(1, -1))[0]
        names = list(stored)
        rows = np.stack([stored[name] for name in names]).astype(np.float32, copy=False)
        scores = np.einsum("ij,j->i", rows, unit)
        return {name: float(score) for name, score in zip(names, scores, strict=True)}

    def search_vector(
        self,
        vector: Vectors,
        k: int,
        filters: Filters | None = None,
        exclude: Collection[str] = (),
    ) -> list[Hit]:
        filters = filters or Filters()
        allowed = filters.allowed_ids()
        if filters.author:
            by_author = self.authors_matching(filters)
            allowed = frozenset(by_author) if allowed is None else allowed & by_author
        pairs = self.index.search(
            vector,
            k,
            categories=filters.categories,
            since=filters.since,
            until=filters.until,
            allowed_ids=allowed,
            exclude_ids=exclude,
            ef_search=self.ef_search,
        )
        return [Hit(paper_id, score) for paper_id, score in pairs]
