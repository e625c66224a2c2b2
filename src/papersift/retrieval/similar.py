"""Similar papers ("more like these"): dense similarity fused with a lexical signal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np

from papersift.embeddings.base import Vectors
from papersift.filters import Filters
from papersift.indexes.base import KeywordSearchIndex
from papersift.model import Paper
from papersift.retrieval.base import Hit
from papersift.retrieval.dense import DenseRetriever
from papersift.retrieval.hybrid import Fusion
from papersift.text import fold_name

SORTS = ("relevance", "recent")


class SimilarPapers:
    """Papers like the seeds: the seeds' mean embedding against the vector index, fused with
    tantivy's more-like-this over their title and abstract terms. The seeds themselves and
    duplicates (a result whose title matches a seed or an earlier result) are left out. Until
    the vector index is built (or with semantic search off) only the lexical signal is used."""

    def __init__(
        self,
        keyword: KeywordSearchIndex,
        fetch: Callable[[Sequence[str]], dict[str, Paper]],
        dense: DenseRetriever | None,
        seed_vectors: Callable[[Sequence[Paper]], Vectors] | None,
        fusion: Fusion,
    ) -> None:
        self.keyword = keyword
        self.fetch = fetch
        self.dense = dense
        self.seed_vectors = seed_vectors
        self.fusion = fusion

    def find(
        self,
        seeds: Sequence[Paper],
        k: int,
        *,
        filters: Filters | None = None,
        sort: str = "relevance",
    ) -> list[Hit]:
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {SORTS}")
        depth = max(self.fusion.depth, 3 * k)
        seed_ids = {paper.id for paper in seeds}
        texts = [(paper.title, paper.abstract) for paper in seeds]
        lexical = self.keyword.more_like(texts, depth + len(seeds), filters)
        runs = [[Hit(h.paper_id, h.score) for h in lexical if h.paper_id not in seed_ids]]
        if self.dense is not None and self.seed_vectors is not None and self.dense.ready():
            mean = self.seed_vectors(seeds).mean(axis=0)
            vector = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
            runs.insert(0, self.dense.search_vector(vector, depth, filters, exclude=seed_ids))
            fused = self.fusion.fuse(runs)
        else:
            fused = runs[0]
        return self._distinct(fused, seeds, k, sort)

    def _distinct(self, hits: list[Hit], seeds: Sequence[Paper], k: int, sort: str) -> list[Hit]:
        papers = self.fetch([hit.paper_id for hit in hits[: 3 * k]])
        seen_titles = {fold_name(paper.title) for paper in seeds}
        chosen: list[Hit] = []
        for hit in hits[: 3 * k]:
            paper = papers.get(hit.paper_id)
            if paper is None or fold_name(paper.title) in seen_titles:
                continue
            seen_titles.add(fold_name(paper.title))
            chosen.append(hit)
            if len(chosen) == k:
                break
        if sort == "recent":
            chosen.sort(key=lambda hit: papers[hit.paper_id].display_date or _NO_DATE, reverse=True)
        return chosen


_NO_DATE = date.min
