"""BM25 keyword retrieval over the tantivy index."""

from __future__ import annotations

from collections.abc import Collection

from papersift.filters import Filters
from papersift.indexes.base import KeywordSearchIndex
from papersift.retrieval.base import Hit


class BM25Retriever:
    """Keyword search: field-boosted BM25 (title, abstract, authors) with phrase queries."""

    name = "bm25"
    least_score = 0.0  # a paper matching none of the words (bounds hybrid fusion)

    def __init__(self, index: KeywordSearchIndex) -> None:
        self.index = index

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return [Hit(hit.paper_id, hit.score) for hit in self.index.search(query, k, filters)]

    def scores_of(self, query: str, paper_ids: Collection[str]) -> dict[str, float]:
        """Each paper's BM25 score for ``query`` (0.0 when it matches none of its words)."""
        return self.index.scores_of(query, paper_ids)
