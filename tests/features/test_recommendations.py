from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import pytest

from papersift.engine import Engine
from papersift.features.reasons import TRENDING, Reason, ReasonKind
from papersift.settings import Settings
from papersift.store.users import User
from tests.conftest import make_paper

NOW = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
TOPIC_A = np.eye(8, dtype=np.float32)[0]
TOPIC_B = np.eye(8, dtype=np.float32)[1]


def _vector(topic: np.ndarray, noise: int) -> np.ndarray:
    rng = np.random.default_rng(noise)
    vector = topic + 0.1 * rng.standard_normal(8).astype(np.float32)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.fixture
def setup(settings: Settings) -> tuple[Engine, User]:
    engine = Engine(settings, clock=lambda: NOW)
    old = [make_paper(f"2502.0000{i}", listed=date(2026, 2, 2)) for i in range(4)]
    recent = [
        make_paper(
            f"2503.000{i:02d}",
            listed=date(2026, 3, 9 + i % 4),
            authors=("Ada Lovelace",) if i == 7 else ("Someone Else",),
            categories=("cs.LG",) if i % 2 else ("math.CO",),
        )
        for i in range(20)
    ]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [*old, *recent])
    engine.index(semantic=False)
    # Topic A: the old papers and the even recent ones; topic B: the odd recent ones.
    vectors = {p.id: _vector(TOPIC_A, n) for n, p in enumerate(old)}
    vectors.update(
        {p.id: _vector(TOPIC_A if i % 2 == 0 else TOPIC_B, 100 + i) for i, p in enumerate(recent)}
    )
    engine.recommender.sources = replace(
        engine.recommender.sources,
        vectors=lambda ids: {i: vectors[i] for i in ids if i in vectors},
        embedder_identity=lambda: "test-vectors",
    )
    user = engine.users.create("r@example.org", "Reader", "x", now=NOW)
    return engine, user


def test_the_model_ranks_the_library_topic_first_and_explains(setup: tuple[Engine, User]) -> None:
    engine, user = setup
    for paper_id in ("2502.00000", "2502.00001", "2502.00002"):
        engine.vote(user, paper_id, True)
    ranked = engine.recommendations(user, limit=5)
    assert len(ranked) == 5
    assert all(int(r.paper.id[-2:]) % 2 == 0 for r in ranked)  # topic A papers only
    for recommendation in ranked:
        assert 1 <= len(recommendation.because) <= 3
        assert {p.id for p in recommendation.because} <= {"2502.00000", "2502.00001", "2502.00002"}
        first = recommendation.reasons[0]
        assert (
            first.kind is ReasonKind.LIKE_PAPER and first.paper_id == recommendation.because[0].id
        )
        assert first.text.startswith("Like “Paper 2502.0000")


def test_the_model_is_stored_and_retrained_only_when_signals_change(
    setup: tuple[Engine, User],
) -> None:
    engine, user = setup
    engine.vote(user, "2502.00000", True)
    engine.recommendations(user)
    first = engine.interest_store.model(user.id)
    engine.recommendations(user)
    assert engine.interest_store.model(user.id) == first
    engine.interest_store.dismiss(user.id, "2503.00002", now=NOW)
    engine.recommendations(user)
    second = engine.interest_store.model(user.id)
    assert second is not None and first is not None and second[0] != first[0]


def test_dismissed_and_library_papers_are_never_recommended(setup: tuple[Engine, User]) -> None:
    engine, user = setup
    engine.vote(user, "2503.00000", True)
    engine.interest_store.dismiss(user.id, "2503.00002", now=NOW)
    ids = {r.paper.id for r in engine.recommendations(user, limit=20)}
    assert "2503.00000" not in ids and "2503.00002" not in ids


def test_cold_start_uses_follows_then_trending(setup: tuple[Engine, User]) -> None:
    engine, user = setup
    other = engine.users.create("o@example.org", "Other", "x", now=NOW)
    engine.vote(other, "2503.00011", True)
    engine.interest_store.follow(user.id, "author", "Ada Lovelace")
    ranked = engine.recommendations(user, limit=3)
    assert ranked[0].paper.id == "2503.00007"
    assert ranked[0].reasons == (Reason(ReasonKind.FOLLOWED_AUTHOR, "Ada Lovelace"),)
    assert ranked[0].reasons[0].text == "By Ada Lovelace, whom you follow"
    assert TRENDING in ranked[1].reasons and ranked[1].paper.id == "2503.00011"


def test_followed_categories_add_a_reason(setup: tuple[Engine, User]) -> None:
    engine, user = setup
    engine.vote(user, "2502.00000", True)
    engine.interest_store.follow(user.id, "category", "math")
    ranked = engine.recommendations(user, limit=3)
    assert all("In math, which you follow" in [x.text for x in r.reasons] for r in ranked)
