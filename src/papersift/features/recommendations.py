""" "For you": recent papers ranked for one reader, each with the reasons it was chosen.

Signals: positives are the papers the reader upvoted or saved to a collection; negatives are the
papers marked "not interested" plus recent papers sampled at random. The per-user model
(``papersift.features.recommend``) is trained on their embeddings, stored with a digest of the
signals and reused until they change. Candidates are the papers of the ``window`` days ending at
the newest listing day. Each recommendation names the one to three library papers most similar
to it, and the followed authors or categories it matches.

Cold start (no library yet): papers by followed authors and in followed categories, by upvotes;
then trending papers. Without embeddings (semantic search off) the library's more-like-this
list over the window stands in for the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from papersift.features import recommend
from papersift.features.reasons import TRENDING, Reason, ReasonKind
from papersift.filters import Filters
from papersift.model import Paper
from papersift.store.collections import Collection, CollectionStore
from papersift.store.interests import InterestStore
from papersift.store.listings import ListingStore
from papersift.store.users import User
from papersift.store.votes import VoteStore
from papersift.text import fold_name, readable

MAX_CANDIDATES = 20_000
MAX_LIBRARY = 2_000
MAX_LEXICAL_SEEDS = 20  # more-like-this query terms grow with every seed


@dataclass(frozen=True, slots=True)
class Recommendation:
    paper: Paper
    score: float
    because: tuple[Paper, ...] = ()  # library papers most like it, most similar first
    reasons: tuple[Reason, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Candidates:
    """The window's papers (most upvoted first) and their vectors: shared by many readers."""

    first: date
    last: date
    papers: tuple[Paper, ...]
    vectors: dict[str, npt.NDArray[np.float32]]


@dataclass(frozen=True, slots=True)
class Sources:
    """What the recommender reads, as functions of the engine (keeps this module testable)."""

    vectors: Callable[[Sequence[str]], dict[str, npt.NDArray[np.float32]]]
    papers: Callable[[Sequence[str]], dict[str, Paper]]
    more_like: Callable[[Sequence[str], int, Filters], list[str]]
    trending: Callable[[int], list[Paper]]
    embedder_identity: Callable[[], str]


class Recommender:
    def __init__(
        self,
        interests: InterestStore,
        votes: VoteStore,
        collections: CollectionStore,
        listings: ListingStore,
        sources: Sources,
        *,
        window_days: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.interests = interests
        self.votes = votes
        self.collections = collections
        self.listings = listings
        self.sources = sources
        self.window_days = window_days
        self.clock = clock

    # signals -----------------------------------------------------------------------------------

    def library(self, user: User) -> list[str]:
        """The reader's positives: upvoted papers, then saved ones, newest first, no repeats."""
        saved = [
            item.paper_id
            for collection in self.collections.of_user(user.id)
            for item in self.collections.items(collection.id)
        ]
        return list(dict.fromkeys([*self.votes.papers_voted_by(user.id), *saved]))[:MAX_LIBRARY]

    def candidates(self, as_of: date | None = None) -> Candidates | None:
        """The papers of the window ending at the newest listing day on or before ``as_of``
        (today by default), with their vectors. Compute once, use for many readers."""
        last = self.listings.latest_day(on_or_before=as_of or self.clock().date(), category=None)
        if last is None:
            return None
        first = last - timedelta(days=self.window_days - 1)
        listed, _ = self.listings.page(
            first=first, last=last, category=None, order="upvotes", limit=MAX_CANDIDATES, offset=0
        )
        papers = tuple(item.paper for item in listed)
        return Candidates(first, last, papers, self.sources.vectors([p.id for p in papers]))

    # recommending ------------------------------------------------------------------------------

    def for_user(
        self, user: User, *, limit: int = 20, candidates: Candidates | None = None
    ) -> list[Recommendation]:
        window = candidates or self.candidates()
        if window is None:
            return []
        library = self.library(user)
        dismissed = set(self.interests.dismissed(user.id))
        seen = set(library) | dismissed
        unseen = [paper for paper in window.papers if paper.id not in seen]
        follows = self.interests.follows_of(user.id)
        if not library:
            return self._cold_start(unseen, follows, seen, limit)
        ranked = self._by_model(user, library, sorted(dismissed), unseen, window, limit)
        if ranked is None:
            ranked = self._by_similarity(library, unseen, window.first, limit)
        return [_with_follow_reasons(r, follows) for r in ranked]

    def for_collection(
        self,
        user: User,
        collection: Collection,
        *,
        limit: int = 20,
        candidates: Candidates | None = None,
    ) -> list[Recommendation]:
        """A stream for one collection: a model trained on its papers (positives) against the
        reader's dismissals and sampled recent papers, ranking the window's papers not in it."""
        window = candidates or self.candidates()
        if window is None:
            return []
        positives = [item.paper_id for item in self.collections.items(collection.id)]
        positives = positives[:MAX_LIBRARY]
        if not positives:
            return []
        dismissed = set(self.interests.dismissed(user.id))
        unseen = [p for p in window.papers if p.id not in set(positives) | dismissed]
        where = f"in “{collection.name}”"
        ranked = self._by_model(
            user, positives, sorted(dismissed), unseen, window, limit, where=where, keep=False
        )
        if ranked is None:
            ranked = self._by_similarity(positives, unseen, window.first, limit, where=where)
        return ranked

    def _by_model(
        self,
        user: User,
        library: list[str],
        dismissed: list[str],
        candidates: list[Paper],
        window: Candidates,
        limit: int,
        *,
        where: str = "in your library",
        keep: bool = True,
    ) -> list[Recommendation] | None:
        vectors = {**window.vectors, **self.sources.vectors([*library, *dismissed])}
        positives = [i for i in library if i in vectors]
        scored = [p for p in candidates if p.id in vectors]
        if not positives or not scored:
            return None
        negatives = [i for i in dismissed if i in vectors]
        model = self._model(user, positives, negatives, scored, vectors, keep=keep)
        matrix = np.stack([vectors[p.id] for p in scored])
        scores = model.score(matrix)
        order = np.argsort(-scores, kind="stable")[:limit]
        chosen = [scored[i] for i in order]
        shelf = np.stack([vectors[i] for i in positives])
        support = recommend.explain_many(matrix[order], shelf, positives)
        supporting = self.sources.papers([i for found in support for i, _ in found])
        return [
            _explained(
                paper,
                float(scores[index]),
                [supporting[i] for i, _ in found if i in supporting],
                where,
            )
            for paper, index, found in zip(chosen, order, support, strict=True)
        ]

    def _model(
        self,
        user: User,
        positives: list[str],
        negatives: list[str],
        candidates: list[Paper],
        vectors: dict[str, npt.NDArray[np.float32]],
        *,
        keep: bool = True,
    ) -> recommend.UserModel:
        """The reader's model, kept in the store while its signals do not change (``keep``;
        a collection's stream trains its own each time: a few milliseconds)."""
        key = recommend.signals_key(positives, negatives, salt=self.sources.embedder_identity())
        stored = self.interests.model(user.id) if keep else None
        if stored is not None and stored[0] == key:
            return recommend.UserModel.from_bytes(stored[1])
        sampled = recommend.sample_negatives(
            (p.id for p in candidates),
            set(positives),
            recommend.DEFAULT_SAMPLED_NEGATIVES,
            seed=key,
        )
        model = recommend.train_user_model(
            np.stack([vectors[i] for i in positives]),
            np.stack([vectors[i] for i in [*negatives, *sampled]]),
        )
        if keep:
            self.interests.save_model(user.id, key, model.to_bytes(), now=self.clock())
        return model

    def _by_similarity(
        self,
        library: list[str],
        candidates: list[Paper],
        since: date,
        limit: int,
        *,
        where: str = "in your library",
    ) -> list[Recommendation]:
        allowed = {p.id: p for p in candidates}
        ids = self.sources.more_like(library[:MAX_LEXICAL_SEEDS], 5 * limit, Filters(since=since))
        return [
            Recommendation(
                allowed[i], 1.0 / (rank + 1), (), (Reason(ReasonKind.LIKE_PAPERS, where=where),)
            )
            for rank, i in enumerate(i for i in ids if i in allowed)
        ][:limit]

    def _cold_start(
        self,
        candidates: list[Paper],
        follows: list[tuple[str, str]],
        seen: set[str],
        limit: int,
    ) -> list[Recommendation]:
        chosen = [
            Recommendation(paper, 1.0, (), reasons)
            for paper in candidates
            if (reasons := _follow_reasons(paper, follows))
        ][:limit]
        if len(chosen) < limit:
            taken = seen | {r.paper.id for r in chosen}
            chosen += [
                Recommendation(paper, 0.0, (), (TRENDING,))
                for paper in self.sources.trending(2 * limit)
                if paper.id not in taken
            ][: limit - len(chosen)]
        return chosen


def _explained(
    paper: Paper, score: float, because: list[Paper], where: str = "in your library"
) -> Recommendation:
    reasons = tuple(Reason(ReasonKind.LIKE_PAPER, readable(p.title), p.id, where) for p in because)
    return Recommendation(paper, score, tuple(because), reasons)


def _follow_reasons(paper: Paper, follows: list[tuple[str, str]]) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    folded = [fold_name(a) for a in paper.authors]
    for kind, value in follows:
        if kind == "author" and any(fold_name(value) in name for name in folded):
            reasons.append(Reason(ReasonKind.FOLLOWED_AUTHOR, value))
        elif kind == "category" and any(
            c == value or c.startswith(value + ".") for c in paper.categories
        ):
            reasons.append(Reason(ReasonKind.FOLLOWED_CATEGORY, value))
    return tuple(reasons)


def _with_follow_reasons(
    recommendation: Recommendation, follows: list[tuple[str, str]]
) -> Recommendation:
    extra = _follow_reasons(recommendation.paper, follows)
    if not extra:
        return recommendation
    return Recommendation(
        recommendation.paper,
        recommendation.score,
        recommendation.because,
        (*recommendation.reasons, *extra),
    )
