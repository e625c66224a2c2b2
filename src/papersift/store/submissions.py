"""Community submissions: a paper a user brought to a day's feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.store.counters import COMMUNITY_REV, bump
from papersift.store.schema import submissions, users
from papersift.timeutil import as_utc

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Submission:
    paper_id: str
    user_id: int
    submitter: str
    feed_date: date
    submitted_at: datetime


class AlreadySubmitted(Exception):
    """The paper was submitted before (by anyone)."""


class SubmissionStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def add(self, paper_id: str, user_id: int, feed_date: date, *, now: datetime) -> None:
        try:
            with self.db.begin() as connection:
                connection.execute(
                    submissions.insert().values(
                        paper_id=paper_id, user_id=user_id, feed_date=feed_date, submitted_at=now
                    )
                )
                bump(connection, COMMUNITY_REV)
        except IntegrityError as exc:
            raise AlreadySubmitted(paper_id) from exc

    def _query(self) -> sa.Select[Any]:
        return (
            sa.select(
                submissions.c.paper_id,
                submissions.c.user_id,
                users.c.display_name,
                submissions.c.feed_date,
                submissions.c.submitted_at,
            )
            .join(users, users.c.id == submissions.c.user_id)
            .where(submissions.c.hidden_at.is_(None))
        )

    def set_hidden(self, paper_id: str, hidden: bool, *, now: datetime) -> bool:
        """Hide (or show again) a submission; False when the paper was never submitted."""
        with self.db.begin() as connection:
            changed = connection.execute(
                submissions.update()
                .where(submissions.c.paper_id == paper_id)
                .values(hidden_at=now if hidden else None)
            ).rowcount
            bump(connection, COMMUNITY_REV)
        return bool(changed)

    def between(self, first: date, last: date) -> list[Submission]:
        with self.db.connect() as connection:
            rows = connection.execute(
                self._query().where(submissions.c.feed_date.between(first, last))
            )
            return [_submission(row) for row in rows]

    def of_papers(self, paper_ids: Sequence[str]) -> dict[str, Submission]:
        found: dict[str, Submission] = {}
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _CHUNK):
                chunk = paper_ids[start : start + _CHUNK]
                rows = connection.execute(self._query().where(submissions.c.paper_id.in_(chunk)))
                found.update((str(row[0]), _submission(row)) for row in rows)
        return found


def _submission(row: Any) -> Submission:
    return Submission(str(row[0]), int(row[1]), str(row[2]), row[3], as_utc(row[4]))
