"""Public collections as others see them: the directory, upvotes, the ones holding a paper,
and what a reader's profile shows (their public collections, submissions and comments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.counters import COMMUNITY_REV, bump
from papersift.store.schema import (
    collection_items,
    collection_votes,
    collections,
    comments,
    submissions,
    users,
)
from papersift.store.upsert import insert
from papersift.timeutil import as_utc

DirectoryOrder = Literal["recent", "upvoted"]


@dataclass(frozen=True, slots=True)
class PublicCollection:
    id: int
    name: str
    owner_id: int
    owner: str
    size: int
    upvotes: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    user_id: int
    name: str
    joined: datetime
    submissions: list[tuple[str, date]]  # (paper id, feed day), newest first
    comments: list[tuple[int, str, datetime]]  # (comment id, paper id, when), newest first


class PublicCollectionStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def directory(
        self, order: DirectoryOrder, *, offset: int, limit: int, owner_id: int | None = None
    ) -> tuple[list[PublicCollection], int]:
        """A page of public collections holding at least one paper, and how many there are."""
        condition = sa.and_(collections.c.is_public.is_(True), _size() > 0)
        if owner_id is not None:
            condition = sa.and_(condition, collections.c.user_id == owner_id)
        ranking = (
            [_upvotes().desc(), collections.c.id.desc()]
            if order == "upvoted"
            else [collections.c.id.desc()]
        )
        with self.db.connect() as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(collections).where(condition)
            ).scalar_one()
            rows = connection.execute(
                _select().where(condition).order_by(*ranking).offset(offset).limit(limit)
            )
            return [_public(row) for row in rows], int(total)

    def get(self, collection_id: int) -> PublicCollection | None:
        condition = sa.and_(collections.c.id == collection_id, collections.c.is_public.is_(True))
        with self.db.connect() as connection:
            row = connection.execute(_select().where(condition)).first()
        return _public(row) if row else None

    def holding(self, paper_id: str, *, limit: int = 20) -> list[PublicCollection]:
        """Public collections with this paper, most upvoted first."""
        holds = sa.exists().where(
            collection_items.c.collection_id == collections.c.id,
            collection_items.c.paper_id == paper_id,
        )
        with self.db.connect() as connection:
            rows = connection.execute(
                _select()
                .where(collections.c.is_public.is_(True), holds)
                .order_by(_upvotes().desc(), collections.c.id.desc())
                .limit(limit)
            )
            return [_public(row) for row in rows]

    def set_vote(self, collection_id: int, user_id: int, voted: bool, *, now: datetime) -> int:
        """Set the user's upvote; returns the collection's upvote count."""
        with self.db.begin() as connection:
            if voted:
                connection.execute(
                    insert(connection, collection_votes)
                    .values(collection_id=collection_id, user_id=user_id, created_at=now)
                    .on_conflict_do_nothing()
                )
            else:
                connection.execute(
                    collection_votes.delete().where(
                        collection_votes.c.collection_id == collection_id,
                        collection_votes.c.user_id == user_id,
                    )
                )
            bump(connection, COMMUNITY_REV)
            count = connection.execute(
                sa.select(sa.func.count()).where(collection_votes.c.collection_id == collection_id)
            ).scalar_one()
        return int(count)

    def voted_by(self, user_id: int, collection_ids: list[int]) -> set[int]:
        if not collection_ids:
            return set()
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(collection_votes.c.collection_id).where(
                    collection_votes.c.user_id == user_id,
                    collection_votes.c.collection_id.in_(collection_ids),
                )
            )
            return {int(row[0]) for row in rows}

    def profile(self, user_id: int, *, limit: int = 50) -> ProfileFacts | None:
        with self.db.connect() as connection:
            person = connection.execute(
                sa.select(users.c.display_name, users.c.created_at).where(users.c.id == user_id)
            ).first()
            if person is None:
                return None
            submitted = connection.execute(
                sa.select(submissions.c.paper_id, submissions.c.feed_date)
                .where(submissions.c.user_id == user_id, submissions.c.hidden_at.is_(None))
                .order_by(submissions.c.submitted_at.desc())
                .limit(limit)
            ).all()
            written = connection.execute(
                sa.select(comments.c.id, comments.c.paper_id, comments.c.created_at)
                .where(
                    comments.c.user_id == user_id,
                    comments.c.hidden_at.is_(None),
                    comments.c.deleted_at.is_(None),
                )
                .order_by(comments.c.id.desc())
                .limit(limit)
            ).all()
        return ProfileFacts(
            user_id=user_id,
            name=str(person.display_name),
            joined=as_utc(person.created_at),
            submissions=[(str(row[0]), row[1]) for row in submitted],
            comments=[(int(row[0]), str(row[1]), as_utc(row[2])) for row in written],
        )


def _size() -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count())
        .where(collection_items.c.collection_id == collections.c.id)
        .scalar_subquery()
    )


def _upvotes() -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count())
        .where(collection_votes.c.collection_id == collections.c.id)
        .scalar_subquery()
    )


def _select() -> sa.Select[Any]:
    return sa.select(
        collections.c.id,
        collections.c.name,
        collections.c.user_id,
        users.c.display_name,
        _size().label("size"),
        _upvotes().label("upvotes"),
        collections.c.created_at,
    ).join(users, users.c.id == collections.c.user_id)


def _public(row: Any) -> PublicCollection:
    return PublicCollection(
        id=int(row.id),
        name=str(row.name),
        owner_id=int(row.user_id),
        owner=str(row.display_name),
        size=int(row.size),
        upvotes=int(row.upvotes),
        created_at=as_utc(row.created_at),
    )
