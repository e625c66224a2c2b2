"""Comments on papers, readers' reports of them, and the moderation log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.counters import COMMUNITY_REV, bump
from papersift.store.schema import comment_reports, comments, moderation_log, users
from papersift.timeutil import as_utc

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredComment:
    id: int
    paper_id: str
    user_id: int
    author: str  # the author's display name
    parent_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    reports: int = 0


@dataclass(frozen=True, slots=True)
class LogEntry:
    actor: str | None  # display name; None for the command line or a deleted account
    by_operator: bool
    action: str
    target_kind: str
    target: str
    created_at: datetime


class CommentStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def add(
        self, paper_id: str, user_id: int, body: str, parent_id: int | None, *, now: datetime
    ) -> int:
        with self.db.begin() as connection:
            new_id = connection.execute(
                comments.insert()
                .values(
                    paper_id=paper_id, user_id=user_id, parent_id=parent_id, body=body,
                    created_at=now,
                )
                .returning(comments.c.id)
            ).scalar_one()  # fmt: skip
            bump(connection, COMMUNITY_REV)
        return int(new_id)

    def get(self, comment_id: int) -> StoredComment | None:
        with self.db.connect() as connection:
            row = connection.execute(self._query().where(comments.c.id == comment_id)).first()
        return _comment(row) if row else None

    def of_paper(self, paper_id: str) -> list[StoredComment]:
        """All of a paper's comments, oldest first (hidden and deleted ones included)."""
        with self.db.connect() as connection:
            rows = connection.execute(
                self._query().where(comments.c.paper_id == paper_id).order_by(comments.c.id)
            )
            return [_comment(row) for row in rows]

    def since(self, moment: datetime, *, limit: int = 1000) -> list[StoredComment]:
        """Visible comments written at or after ``moment``, oldest first (for digests)."""
        with self.db.connect() as connection:
            rows = connection.execute(
                self._query()
                .where(comments.c.created_at >= moment, _visible())
                .order_by(comments.c.id)
                .limit(limit)
            )
            return [_comment(row) for row in rows]

    def counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Visible comments per paper (papers without any are left out)."""
        found: dict[str, int] = {}
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _CHUNK):
                chunk = list(paper_ids[start : start + _CHUNK])
                rows = connection.execute(
                    sa.select(comments.c.paper_id, sa.func.count())
                    .where(comments.c.paper_id.in_(chunk), _visible())
                    .group_by(comments.c.paper_id)
                )
                found.update((str(paper_id), int(count)) for paper_id, count in rows)
        return found

    def written_since(self, user_id: int, moment: datetime) -> int:
        """How many comments the user wrote at or after ``moment`` (for the rate limit)."""
        with self.db.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).where(
                        comments.c.user_id == user_id, comments.c.created_at >= moment
                    )
                ).scalar_one()
            )

    def edit(self, comment_id: int, body: str, *, now: datetime) -> None:
        self._update(comment_id, body=body, edited_at=now)

    def delete(self, comment_id: int, *, now: datetime) -> None:
        """The author's deletion: the text goes, the place in the thread stays for replies."""
        self._update(comment_id, body="", deleted_at=now)

    def set_hidden(self, comment_id: int, hidden: bool, *, now: datetime) -> None:
        self._update(comment_id, hidden_at=now if hidden else None)

    def report(self, comment_id: int, user_id: int, reason: str, *, now: datetime) -> None:
        """Record a reader's report (a second report by the same reader replaces the first)."""
        with self.db.begin() as connection:
            connection.execute(
                comment_reports.delete().where(
                    comment_reports.c.comment_id == comment_id,
                    comment_reports.c.user_id == user_id,
                )
            )
            connection.execute(
                comment_reports.insert().values(
                    comment_id=comment_id, user_id=user_id, reason=reason, created_at=now
                )
            )

    def reported(self, *, limit: int = 200) -> list[StoredComment]:
        """Visible comments with reports, most reported first (the moderators' queue)."""
        with self.db.connect() as connection:
            rows = connection.execute(
                self._query()
                .where(_visible(), _report_count() > 0)
                .order_by(_report_count().desc(), comments.c.id.desc())
                .limit(limit)
            )
            return [_comment(row) for row in rows]

    def log(
        self, actor_id: int | None, action: str, target_kind: str, target: str, *, now: datetime
    ) -> None:
        with self.db.begin() as connection:
            connection.execute(
                moderation_log.insert().values(
                    actor_id=actor_id, by_operator=actor_id is None, action=action,
                    target_kind=target_kind, target=target, created_at=now,
                )
            )  # fmt: skip

    def log_entries(self, *, limit: int = 200) -> list[LogEntry]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(
                    users.c.display_name,
                    moderation_log.c.by_operator,
                    moderation_log.c.action,
                    moderation_log.c.target_kind,
                    moderation_log.c.target,
                    moderation_log.c.created_at,
                )
                .outerjoin(users, users.c.id == moderation_log.c.actor_id)
                .order_by(moderation_log.c.id.desc())
                .limit(limit)
            )
            return [
                LogEntry(row[0], bool(row[1]), row[2], row[3], row[4], as_utc(row[5]))
                for row in rows
            ]

    def _update(self, comment_id: int, **values: Any) -> None:
        with self.db.begin() as connection:
            connection.execute(comments.update().where(comments.c.id == comment_id).values(values))
            bump(connection, COMMUNITY_REV)

    def _query(self) -> sa.Select[Any]:
        return sa.select(
            comments.c.id,
            comments.c.paper_id,
            comments.c.user_id,
            users.c.display_name,
            comments.c.parent_id,
            comments.c.body,
            comments.c.created_at,
            comments.c.edited_at,
            comments.c.deleted_at,
            comments.c.hidden_at,
            _report_count().label("reports"),
        ).join(users, users.c.id == comments.c.user_id)


def _visible() -> sa.ColumnElement[bool]:
    return sa.and_(comments.c.hidden_at.is_(None), comments.c.deleted_at.is_(None))


def _report_count() -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count())
        .where(comment_reports.c.comment_id == comments.c.id)
        .scalar_subquery()
    )


def _comment(row: Any) -> StoredComment:
    def moment(value: datetime | None) -> datetime | None:
        return as_utc(value) if value else None

    return StoredComment(
        id=int(row.id),
        paper_id=str(row.paper_id),
        user_id=int(row.user_id),
        author=str(row.display_name),
        parent_id=row.parent_id,
        body=str(row.body),
        created_at=as_utc(row.created_at),
        edited_at=moment(row.edited_at),
        deleted_at=moment(row.deleted_at),
        hidden_at=moment(row.hidden_at),
        reports=int(row.reports or 0),
    )
