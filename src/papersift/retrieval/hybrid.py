"""Hybrid retrieval: several retrievers' candidate lists fused into one ranking."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from papersift.filters import Filters
from papersift.retrieval.base import Hit, Retriever
from papersift.retrieval.fusion import NORMALISERS, convex_combination, reciprocal_rank_fusion

FUSION_METHODS = ("convex", "rrf")


@dataclass(frozen=True, slots=True)
class Fusion:
    """How to fuse: ``convex`` (weighted sum of scores normalised by ``normalise``: minmax or
    zscore) or ``rrf`` (reciprocal rank fusion with constant ``rrf_k``).

    ``weights`` has one entry per retriever, in order. ``depth`` candidates are taken from each.
    """

    method: str = "convex"
    weights: tuple[float, ...] = (0.5, 0.5)
    normalise: str = "minmax"
    rrf_k: int = 60
    depth: int = 300

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise ValueError(f"unknown fusion {self.method!r}; choose one of {FUSION_METHODS}")
        if self.normalise not in NORMALISERS:
            raise ValueError(f"unknown normalisation {self.normalise!r}")

    def fuse(self, runs: Sequence[Sequence[Hit]]) -> list[Hit]:
        if self.method == "rrf":
            return reciprocal_rank_fusion(runs, k=self.rrf_k, weights=self.weights)
        return convex_combination(runs, self.weights, normalise=self.normalise)


class HybridRetriever:
    """Union of each retriever's top ``depth`` candidates, fused; then the best ``k``."""

    def __init__(
        self, retrievers: Sequence[Retriever], fusion: Fusion, name: str = "hybrid"
    ) -> None:
        if len(fusion.weights) != len(retrievers):
            raise ValueError("the fusion needs one weight per retriever")
        self.retrievers = list(retrievers)
        self.fusion = fusion
        self.name = name

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        depth = max(k, self.fusion.depth)
        first, *others = self.retrievers
        if not others:
            return self.fusion.fuse([first.search(query, depth, filters)])[:k]
        # The retrievers wait on different things (a database, an index library, the query
        # embedding), so the answer takes the slowest one's time rather than the sum. A pool
        # per search, not a shared one, so that nested hybrids can never wait on each other.
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            pending = [pool.submit(r.search, query, depth, filters) for r in others]
            runs = [first.search(query, depth, filters), *(p.result() for p in pending)]
        return self.fusion.fuse(runs)[:k]
