"""Hybrid retrieval: several retrievers' candidate lists fused into one ranking."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from papersift.filters import Filters
from papersift.retrieval.base import Hit, Retriever, ScoringRetriever
from papersift.retrieval.fusion import (
    NORMALISERS,
    contenders,
    convex_combination,
    reciprocal_rank_fusion,
)

FUSION_METHODS = ("convex", "rrf")
# What a candidate missing from one list scores there: that list's minimum, or its own score by
# that list's retriever ("both" scores of every candidate, where the retriever can give them).
MISSING_SCORES = ("floor", "both")
POOL_WORKERS = 4  # more retrievers than this in one hybrid wait their turn

_pools = threading.local()


def own_pool() -> ThreadPoolExecutor:
    """The calling thread's pool for the retrievers a hybrid search runs beside its first.

    Kept from search to search, because starting and joining threads for each one cost about
    as much as a keyword search. One pool per calling thread, never a shared one: a hybrid
    nested in another (run by a worker of the outer one's pool) gets its worker's own pool,
    so no search ever waits on a pool whose workers wait on it. The pool goes with its thread.
    """
    pool: ThreadPoolExecutor | None = getattr(_pools, "pool", None)
    if pool is None:
        pool = ThreadPoolExecutor(max_workers=POOL_WORKERS, thread_name_prefix="hybrid")
        _pools.pool = pool
    return pool


@dataclass(frozen=True, slots=True)
class Fusion:
    """How to fuse: ``convex`` (weighted sum of scores normalised by ``normalise``: minmax or
    zscore) or ``rrf`` (reciprocal rank fusion with constant ``rrf_k``).

    ``weights`` has one entry per retriever, in order. ``depth`` candidates are taken from each.
    ``missing`` is what a candidate missing from one list scores there in convex fusion (see
    ``MISSING_SCORES``).
    """

    method: str = "convex"
    weights: tuple[float, ...] = (0.5, 0.5)
    normalise: str = "minmax"
    rrf_k: int = 60
    depth: int = 300
    missing: str = "floor"

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise ValueError(f"unknown fusion {self.method!r}; choose one of {FUSION_METHODS}")
        if self.normalise not in NORMALISERS:
            raise ValueError(f"unknown normalisation {self.normalise!r}")
        if self.missing not in MISSING_SCORES:
            raise ValueError(f"unknown missing scores {self.missing!r}; one of {MISSING_SCORES}")

    @property
    def wants_both_scores(self) -> bool:
        return self.method == "convex" and self.missing == "both"

    def fuse(
        self,
        runs: Sequence[Sequence[Hit]],
        known: Sequence[Mapping[str, float]] | None = None,
        limit: int | None = None,
    ) -> list[Hit]:
        """The lists fused, the best ``limit`` of them (all when None); ``known`` holds, per
        list, the scores of candidates missing from it (used when ``missing`` is both)."""
        if self.method == "rrf":
            return reciprocal_rank_fusion(runs, k=self.rrf_k, weights=self.weights, limit=limit)
        known = known if self.wants_both_scores else None
        return convex_combination(
            runs, self.weights, normalise=self.normalise, known=known, limit=limit
        )


class HybridRetriever:
    """Union of each retriever's top ``depth`` candidates, fused; then the best ``k``.

    With a fusion that wants both scores, every retriever that can (``ScoringRetriever``) also
    scores the candidates the others found and it did not, so a paper one list ranks high is
    judged by its real score in the other rather than that list's minimum.
    """

    def __init__(
        self, retrievers: Sequence[Retriever], fusion: Fusion, name: str = "hybrid"
    ) -> None:
        if len(fusion.weights) != len(retrievers):
            raise ValueError("the fusion needs one weight per retriever")
        self.retrievers = list(retrievers)
        self.fusion = fusion
        self.name = name

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.search_with_runs(query, k, filters)[0]

    def search_with_runs(
        self,
        query: str,
        k: int,
        filters: Filters | None = None,
        *,
        meanwhile: Callable[[Sequence[Hit]], object] | None = None,
    ) -> tuple[list[Hit], list[list[Hit]]]:
        """The best ``k`` fused, and each retriever's own ranking that went into them (its top
        ``depth``), in the order of ``retrievers``. ``meanwhile`` is called with the first
        retriever's ranking while the others still search: work that needs it and would
        otherwise wait for them all."""
        depth = max(k, self.fusion.depth)
        first, *others = self.retrievers
        if not others:
            run = list(first.search(query, depth, filters))
            return self.fusion.fuse([run], limit=k), [run]
        # The retrievers wait on different things (a database, an index library, the query
        # embedding), so the answer takes the slowest one's time rather than the sum.
        pool = own_pool()
        pending = [pool.submit(r.search, query, depth, filters) for r in others]
        # Hand the GIL over before searching here, so that the others start now: left to the
        # interpreter, the semantic search waited about a millisecond for the keyword search
        # to let go before it could even start embedding the query.
        time.sleep(0)
        ranked_first = list(first.search(query, depth, filters))
        if meanwhile is not None:
            meanwhile(ranked_first)
        runs = [ranked_first, *(list(p.result()) for p in pending)]
        known = (
            self._scores_of_missing(pool, query, runs, k) if self.fusion.wants_both_scores else None
        )
        return self.fusion.fuse(runs, known, limit=k), runs

    def _scores_of_missing(
        self, pool: ThreadPoolExecutor, query: str, runs: Sequence[Sequence[Hit]], k: int
    ) -> list[dict[str, float]]:
        """Per retriever, its scores of the candidates the others found and it did not.

        When the fusion allows bounds (see ``contenders``), only the candidates that may reach
        the best ``k`` are asked for, retriever after retriever, those that score cheaply first
        (``scores_cheaply``: the dense retriever reads stored vectors), so that their exact
        scores narrow what the others are asked. Otherwise every retriever is asked for every
        missing candidate at once: the first here, the others in the pool."""
        least = [getattr(retriever, "least_score", None) for retriever in self.retrievers]
        boundable = all(bound is not None for bound in least) and all(
            run and run[0].score > 0 for run in runs
        )
        if self.fusion.normalise == "max" and boundable:
            return self._bounded_scores(query, runs, k, least)
        union = {hit.paper_id for run in runs for hit in run}
        asks: list[tuple[ScoringRetriever, list[str]] | None] = []
        for retriever, run in zip(self.retrievers, runs, strict=True):
            missing = union - {hit.paper_id for hit in run}
            if missing and isinstance(retriever, ScoringRetriever):
                asks.append((retriever, sorted(missing)))
            else:
                asks.append(None)
        pending: list[Future[dict[str, float]] | None] = [
            pool.submit(ask[0].scores_of, query, ask[1]) if ask else None for ask in asks[1:]
        ]
        first = asks[0][0].scores_of(query, asks[0][1]) if asks[0] else {}
        return [first, *(future.result() if future else {} for future in pending)]

    def _bounded_scores(
        self, query: str, runs: Sequence[Sequence[Hit]], k: int, least: list[float | None]
    ) -> list[dict[str, float]]:
        known: list[dict[str, float]] = [{} for _ in runs]
        order = sorted(
            range(len(runs)),
            key=lambda n: (not getattr(self.retrievers[n], "scores_cheaply", False), n),
        )
        union = {hit.paper_id for run in runs for hit in run}
        for number in order:
            retriever = self.retrievers[number]
            if not isinstance(retriever, ScoringRetriever):
                continue
            chosen = None  # a retriever that scores cheaply is asked for all its missing
            if not getattr(retriever, "scores_cheaply", False):
                chosen = contenders(runs, self.fusion.weights, least, k, known)
            missing = (union if chosen is None else chosen) - {h.paper_id for h in runs[number]}
            if missing:
                known[number] = retriever.scores_of(query, sorted(missing))
        return known
