"""Rank fusion as pure functions over ranked hit lists (best first).

- Reciprocal rank fusion: Cormack, Clarke and Buettcher, "Reciprocal Rank Fusion outperforms
  Condorcet and individual Rank Learning Methods", SIGIR 2009: score(d) = sum_i w_i / (k + rank_i).
- Convex combination of normalised scores: Bruch, Gai and Ingber, "An Analysis of Fusion Functions
  for Hybrid Retrieval", ACM TOIS 2023: score(d) = sum_i w_i * norm_i(s_i(d)), with a document
  missing from a list scoring that list's minimum (0 after min-max normalisation), or, when its
  score by that list's retriever is known, that score (each list normalised with them in it).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from papersift.retrieval.base import Hit

Scale = Callable[[float], float]
Normaliser = Callable[[Sequence[Hit]], dict[str, float]]


def min_max_scale(scores: Sequence[float]) -> Scale:
    """The map taking ``scores`` to [0, 1] (an equal list to 1; a score below them all below
    0, above them all above 1)."""
    low, high = min(scores), max(scores)
    span = high - low
    if not span:
        return lambda score: 1.0 if score >= low else 0.0
    return lambda score: (score - low) / span


def z_score_scale(scores: Sequence[float]) -> Scale:
    """The map taking ``scores`` to standard deviations from their mean."""
    mean = sum(scores) / len(scores)
    spread = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
    if not spread:
        return lambda score: 0.0 if score == mean else (1.0 if score > mean else -1.0)
    return lambda score: (score - mean) / spread


def max_scale(scores: Sequence[float]) -> Scale:
    """The map dividing by the largest of ``scores`` (min-max with 0 as the least score a
    retriever can give: Bruch et al.'s theoretical min-max). Scores that are all at most 0
    (DSI's log-probabilities) have no such floor: they are scaled min-max to [0, 1] instead,
    like the other lists (shifting them by their best left them unbounded below, so a paper
    DSI had not decoded sank below every paper it had)."""
    high = max(scores)
    if high <= 0:
        return min_max_scale(scores)
    return lambda score: score / high


SCALES: dict[str, Callable[[Sequence[float]], Scale]] = {
    "minmax": min_max_scale,
    "zscore": z_score_scale,
    "max": max_scale,
}


def _normalised(hits: Sequence[Hit], method: str) -> dict[str, float]:
    if not hits:
        return {}
    scale = SCALES[method]([hit.score for hit in hits])
    return {hit.paper_id: scale(hit.score) for hit in hits}


def min_max(hits: Sequence[Hit]) -> dict[str, float]:
    """Scores scaled to [0, 1] within the list; a list of equal scores maps to 1."""
    return _normalised(hits, "minmax")


def z_score(hits: Sequence[Hit]) -> dict[str, float]:
    """Scores as standard deviations from the list's mean."""
    return _normalised(hits, "zscore")


def max_normalised(hits: Sequence[Hit]) -> dict[str, float]:
    """Scores divided by the list's best (see ``max_scale``)."""
    return _normalised(hits, "max")


NORMALISERS: dict[str, Normaliser] = {"minmax": min_max, "zscore": z_score, "max": max_normalised}


def _best_first(item: tuple[str, float]) -> tuple[float, str]:
    return -item[1], item[0]  # ties broken by id, so that fusion is deterministic


def _ranked(scores: dict[str, float], limit: int | None = None) -> list[Hit]:
    """The best ``limit`` of ``scores`` (all when None), best first."""
    if limit is None or limit >= len(scores):
        best = sorted(scores.items(), key=_best_first)
    else:
        best = heapq.nsmallest(max(limit, 0), scores.items(), key=_best_first)
    return [Hit(pid, score) for pid, score in best]


def reciprocal_rank_fusion(
    runs: Sequence[Sequence[Hit]],
    *,
    k: int = 60,
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Fuse ranked lists by summing (weighted) reciprocal ranks ``1 / (k + rank)``; the best
    ``limit`` of them (all when None)."""
    weights = weights if weights is not None else [1.0] * len(runs)
    if len(weights) != len(runs):
        raise ValueError("one weight per run is needed")
    fused: dict[str, float] = {}
    for run, weight in zip(runs, weights, strict=True):
        for rank, hit in enumerate(run, start=1):
            fused[hit.paper_id] = fused.get(hit.paper_id, 0.0) + weight / (k + rank)
    return _ranked(fused, limit)


def convex_combination(
    runs: Sequence[Sequence[Hit]],
    weights: Sequence[float],
    *,
    normalise: str = "minmax",
    known: Sequence[Mapping[str, float]] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Fuse lists by a weighted sum of per-list normalised scores; the best ``limit`` of them
    (all when None).

    A candidate missing from list i scores list i's minimum, unless ``known[i]`` holds its own
    score by that list's retriever (see ``HybridRetriever``): then list i is normalised with
    those scores in it, as if its retriever had ranked every candidate of every list.
    """
    if len(weights) != len(runs):
        raise ValueError("one weight per run is needed")
    if known is not None and len(known) != len(runs):
        raise ValueError("one set of known scores per run is needed")
    fit = SCALES[normalise]
    # sum_i w_i * (s_i(d), or floor_i when d is missing from list i), accumulated as the floors'
    # weighted sum plus each list's lift above its floor: one pass over each list.
    fused: dict[str, float] = {}
    base = 0.0
    for number, (run, weight) in enumerate(zip(runs, weights, strict=True)):
        raw = {hit.paper_id: hit.score for hit in run}
        if known is not None:
            for pid, score in known[number].items():
                raw.setdefault(pid, score)
        if not raw:
            continue
        scale = fit(list(raw.values()))
        scores = {pid: scale(score) for pid, score in raw.items()}
        floor = min(scores.values())
        base += weight * floor
        for pid, score in scores.items():
            fused[pid] = fused.get(pid, 0.0) + weight * (score - floor)
    return _ranked({pid: base + lift for pid, lift in fused.items()}, limit)


def contenders(
    runs: Sequence[Sequence[Hit]],
    weights: Sequence[float],
    least: Sequence[float | None],
    k: int,
    known: Sequence[Mapping[str, float]] | None = None,
) -> set[str] | None:
    """The candidates that may be among the best ``k`` of ``convex_combination(runs, weights,
    normalise="max", known=...)`` once their missing scores are known; None when that cannot be
    bounded (a list without a positive best score, or a retriever whose least score is unknown).

    With max normalisation a list's scale is its best score, which a missing candidate's own
    score does not exceed (it would have been in the list), so a candidate's fused score lies
    between its score with each missing one at the list's minimum (the upper bound) and at the
    retriever's least possible score, ``least[i]`` (the lower bound); a missing score already
    in ``known[i]`` counts as it is. A candidate whose upper bound is below the ``k``-th best
    lower bound cannot reach the best ``k``: its missing scores need not be asked for.
    """
    if k <= 0 or len(runs) != len(weights) or len(least) != len(runs):
        return None
    known = known if known is not None else [{} for _ in runs]
    count = len(runs)
    exact: dict[str, list[float | None]] = {}
    floors, bottoms = [], []
    for number, (run, weight) in enumerate(zip(runs, weights, strict=True)):
        scores = {hit.paper_id: hit.score for hit in run}
        for pid, score in known[number].items():
            scores.setdefault(pid, score)
        if not run:
            floors.append(0.0)
            bottoms.append(0.0)
            for pid in scores:
                exact.setdefault(pid, [None] * count)[number] = 0.0
            continue
        high = max(scores.values())
        bottom = least[number]
        if high <= 0 or bottom is None:
            return None
        floors.append(weight * min(hit.score for hit in run) / high)
        bottoms.append(weight * bottom / high)
        for pid, score in scores.items():
            exact.setdefault(pid, [None] * count)[number] = weight * score / high
    if len(exact) <= k:
        return set(exact)
    # Each candidate's bounds: every list's floor (or least) replaced by its known share.
    pids = list(exact)
    shares = np.array([exact[pid] for pid in pids], dtype=np.float64)  # None becomes nan
    known_share = ~np.isnan(shares)
    upper = np.where(known_share, shares, np.asarray(floors)).sum(axis=1)
    lower = np.where(known_share, shares, np.asarray(bottoms)).sum(axis=1)
    threshold = np.partition(lower, len(lower) - k)[len(lower) - k]  # the k-th best lower bound
    return {pid for pid, bound in zip(pids, upper.tolist(), strict=True) if bound >= threshold}
