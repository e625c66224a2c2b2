from __future__ import annotations

from datetime import UTC, datetime, timedelta

from papersift.engine import Engine
from papersift.features.trending import trending
from papersift.store.users import User
from tests.conftest import make_paper

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _users(engine: Engine, count: int) -> list[User]:
    return [
        engine.users.create(f"u{i}@example.org", f"User {i}", "x", now=NOW) for i in range(count)
    ]


def test_votes_halve_in_weight_every_half_life(engine: Engine) -> None:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper("2503.00001"), make_paper("2503.00002")])
    users = _users(engine, 3)
    half_life = timedelta(hours=48)
    # Two old votes (two half-lives ago: 0.25 each) against one fresh vote (1.0).
    for user in users[:2]:
        engine.votes.set_vote(user.id, "2503.00001", True, now=NOW - 2 * half_life)
    engine.votes.set_vote(users[2].id, "2503.00002", True, now=NOW)
    ranked = trending(engine.votes, now=NOW, half_life=half_life, limit=10)
    assert [r.paper_id for r in ranked] == ["2503.00002", "2503.00001"]
    assert abs(ranked[0].score - 1.0) < 1e-9
    assert abs(ranked[1].score - 0.5) < 1e-9


def test_votes_beyond_the_horizon_are_ignored(engine: Engine) -> None:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper("2503.00001")])
    (user,) = _users(engine, 1)
    engine.votes.set_vote(user.id, "2503.00001", True, now=NOW - timedelta(days=100))
    assert trending(engine.votes, now=NOW, half_life=timedelta(hours=48), limit=10) == []


def test_duplicate_votes_count_once_and_unvote_removes(engine: Engine) -> None:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper("2503.00001")])
    (user,) = _users(engine, 1)
    assert engine.votes.set_vote(user.id, "2503.00001", True, now=NOW) == 1
    assert engine.votes.set_vote(user.id, "2503.00001", True, now=NOW) == 1
    assert engine.votes.set_vote(user.id, "2503.00001", False, now=NOW) == 0
    assert engine.votes.set_vote(user.id, "2503.00001", False, now=NOW) == 0


def test_every_vote_changes_the_data_version(engine: Engine) -> None:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper("2503.00001")])
    (user,) = _users(engine, 1)
    before = engine.data_version()
    engine.votes.set_vote(user.id, "2503.00001", True, now=NOW)
    after_vote = engine.data_version()
    engine.votes.set_vote(user.id, "2503.00001", False, now=NOW)
    assert len({before, after_vote, engine.data_version()}) == 3
