"""Rank fusion as pure functions over ranked hit lists (best first).

- Reciprocal rank fusion: Cormack, Clarke and Buettcher, "Reciprocal Rank Fusion outperforms
  Condorcet and individual Rank Learning Methods", SIGIR 2009: score(d) = sum_i w_i / (k + rank_i).
- Convex combination of normalised scores: Bruch, Gai and Ingber, "An Analysis of Fusion Functions
  for Hybrid Retrieval", ACM TOIS 2023: score(d) = sum_i w_i * norm_i(s_i(d)), with a document
  missing from a list scoring that list's minimum (0 after min-max normalisation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from papersift.retrieval.base import Hit

Normaliser = Callable[[Sequence[Hit]], dict[str, float]]


def min_max(hits: Sequence[Hit]) -> dict[str, float]:
    """Scores scaled to [0, 1] within the list; a list of equal scores maps to 1."""
    if not hits:
        return {}
    scores = [hit.score for hit in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return {hit.paper_id: (hit.score - low) / span if span else 1.0 for hit in hits}


def z_score(hits: Sequence[Hit]) -> dict[str, float]:
    """Scores as standard deviations from the list's mean."""
    if not hits:
        return {}
    scores = [hit.score for hit in hits]
    mean = sum(scores) / len(scores)
    spread = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
    return {hit.paper_id: (hit.score - mean) / spread if spread else 0.0 for hit in hits}


NORMALISERS: dict[str, Normaliser] = {"minmax": min_max, "zscore": z_score}


def _ranked(scores: dict[str, float]) -> list[Hit]:
    # Ties broken by id so fusion is deterministic.
    return [Hit(pid, score) for pid, score in sorted(scores.items(), key=lambda i: (-i[1], i[0]))]


def reciprocal_rank_fusion(
    runs: Sequence[Sequence[Hit]], *, k: int = 60, weights: Sequence[float] | None = None
) -> list[Hit]:
    """Fuse ranked lists by summing (weighted) reciprocal ranks ``1 / (k + rank)``."""
    weights = weights if weights is not None else [1.0] * len(runs)
    if len(weights) != len(runs):
        raise ValueError("one weight per run is needed")
    fused: dict[str, float] = {}
    for run, weight in zip(runs, weights, strict=True):
        for rank, hit in enumerate(run, start=1):
            fused[hit.paper_id] = fused.get(hit.paper_id, 0.0) + weight / (k + rank)
    return _ranked(fused)


def convex_combination(
    runs: Sequence[Sequence[Hit]],
    weights: Sequence[float],
    *,
    normalise: str = "minmax",
) -> list[Hit]:
    """Fuse lists by a weighted sum of per-list normalised scores."""
    if len(weights) != len(runs):
        raise ValueError("one weight per run is needed")
    normaliser = NORMALISERS[normalise]
    # sum_i w_i * (s_i(d), or floor_i when d is missing from list i), accumulated as the floors'
    # weighted sum plus each list's lift above its floor: one pass over each list.
    fused: dict[str, float] = {}
    base = 0.0
    for run, weight in zip(runs, weights, strict=True):
        scores = normaliser(run)
        floor = min(scores.values(), default=0.0)
        base += weight * floor
        for pid, score in scores.items():
            fused[pid] = fused.get(pid, 0.0) + weight * (score - floor)
    return _ranked({pid: base + lift for pid, lift in fused.items()})
