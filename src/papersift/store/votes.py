"""Upvotes: at most one per user and paper (the primary key and ON CONFLICT make it atomic)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.counters import COMMUNITY_REV, bump
from papersift.store.schema import votes
from papersift.store.upsert import insert

_CHUNK = 500


class VoteStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def set_vote(self, user_id: int, paper_id: str, voted: bool, *, now: datetime) -> int:
        """Make the user's vote on the paper ``voted``; returns the paper's count afterwards.

        Idempotent: voting twice leaves one vote, un-voting without a vote changes nothing. Safe
        for concurrent callers (web workers in several processes): the vote is one atomic
        statement (an insert that does nothing when the primary key holds the vote already, or a
        delete), in one transaction with the counter bump.
        """
        with self.db.begin() as connection:
            if voted:
                row = {"user_id": user_id, "paper_id": paper_id, "created_at": now}
                connection.execute(
                    insert(connection, votes)
                    .values(row)
                    .on_conflict_do_nothing(index_elements=[votes.c.user_id, votes.c.paper_id])
                )
            else:
                connection.execute(
                    votes.delete().where(votes.c.user_id == user_id, votes.c.paper_id == paper_id)
                )
            bump(connection, COMMUNITY_REV)
            return int(
                connection.execute(
                    sa.select(sa.func.count()).where(votes.c.paper_id == paper_id)
                ).scalar_one()
            )

    def counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Upvotes per paper (papers without votes are left out)."""
        found: dict[str, int] = {}
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _CHUNK):
                chunk = paper_ids[start : start + _CHUNK]
                rows = connection.execute(
                    sa.select(votes.c.paper_id, sa.func.count())
                    .where(votes.c.paper_id.in_(chunk))
                    .group_by(votes.c.paper_id)
                )
                found.update((str(row[0]), int(row[1])) for row in rows)
        return found

    def voted_by(self, user_id: int, paper_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _CHUNK):
                chunk = paper_ids[start : start + _CHUNK]
                rows = connection.execute(
                    sa.select(votes.c.paper_id).where(
                        votes.c.user_id == user_id, votes.c.paper_id.in_(chunk)
                    )
                )
                found.update(str(row[0]) for row in rows)
        return found

    def since(self, moment: datetime) -> list[tuple[str, datetime]]:
        """(paper id, vote time) of every vote cast at or after ``moment``."""
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(votes.c.paper_id, votes.c.created_at).where(votes.c.created_at >= moment)
            )
            return [(str(row[0]), row[1]) for row in rows]

    def papers_voted_by(self, user_id: int) -> list[str]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(votes.c.paper_id)
                .where(votes.c.user_id == user_id)
                .order_by(votes.c.created_at.desc())
            )
            return [str(row[0]) for row in rows]
