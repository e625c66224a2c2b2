"""Trending: papers ranked by upvotes whose weight halves every ``half_life``.

    score(paper) = sum over its upvotes v of 2 ** (-(now - time of v) / half_life)

A fresh upvote counts 1, one cast a half-life ago 0.5, two half-lives ago 0.25. Recent interest
wins over old totals, yet a paper does not drop out the moment it gets older. Upvotes older than
``HORIZON`` half-lives (weight under 0.1%) are ignored. Ties go to the newer paper.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from papersift.store.votes import VoteStore
from papersift.timeutil import as_utc

HORIZON = 10


@dataclass(frozen=True, slots=True)
class TrendingScore:
    paper_id: str
    score: float
    recent_votes: int


def trending(
    votes: VoteStore, *, now: datetime, half_life: timedelta, limit: int
) -> list[TrendingScore]:
    scores: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for paper_id, voted_at in votes.since(now - HORIZON * half_life):
        age = max(0.0, (now - as_utc(voted_at)) / half_life)
        scores[paper_id] += 2.0**-age
        counts[paper_id] += 1
    ranked = sorted(scores, key=lambda paper_id: (-scores[paper_id], paper_id))
    return [TrendingScore(p, scores[p], counts[p]) for p in ranked[:limit]]
