"""Dense retrieval: the query's embedding against the vector index."""

from __future__ import annotations

from collections.abc import Callable, Collection

from papersift.embeddings.base import Embedder, Vectors
from papersift.filters import Filters
from papersift.indexes.base import VectorSearchIndex
from papersift.retrieval.base import Hit


class DenseRetriever:
    """Semantic search: nearest neighbours of the query embedding, filters applied in the index.

    ``embedder`` is called on first use, so processes that never search semantically never load a
    model. ``authors_matching`` resolves an author filter to paper ids (the keyword index knows
    author names; the vector index does not). ``ef_search`` is the HNSW candidate list of every
    search, None for the index's own.
    """

    name = "dense"

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

    def ready(self) -> bool:
        """Whether the vector index has been built (``papersift index``)."""
        return self.index.meta() is not None

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.search_vector(self.embedder().embed_query(query), k, filters)

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
