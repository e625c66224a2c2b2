"""Users' named collections of papers, each paper with its tags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.store.schema import collection_items, collections
from papersift.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    user_id: int
    name: str
    is_public: bool
    created_at: datetime
    size: int = 0


@dataclass(frozen=True, slots=True)
class CollectionItem:
    paper_id: str
    tags: tuple[str, ...]
    added_at: datetime


class NameTaken(Exception):
    """The user already has a collection with this name."""


class CollectionStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def create(self, user_id: int, name: str, is_public: bool, *, now: datetime) -> Collection:
        values: dict[str, Any] = {
            "user_id": user_id,
            "name": name,
            "is_public": is_public,
            "created_at": now,
        }
        try:
            with self.db.begin() as connection:
                key = connection.execute(collections.insert().values(values)).inserted_primary_key
        except IntegrityError as exc:
            raise NameTaken(name) from exc
        assert key is not None
        return Collection(id=int(key[0]), **values)

    def update(self, collection_id: int, *, name: str, is_public: bool) -> None:
        try:
            with self.db.begin() as connection:
                connection.execute(
                    collections.update()
                    .where(collections.c.id == collection_id)
                    .values(name=name, is_public=is_public)
                )
        except IntegrityError as exc:
            raise NameTaken(name) from exc

    def delete(self, collection_id: int) -> None:
        with self.db.begin() as connection:
            connection.execute(
                collection_items.delete().where(collection_items.c.collection_id == collection_id)
            )
            connection.execute(collections.delete().where(collections.c.id == collection_id))

    def get(self, collection_id: int) -> Collection | None:
        found = self._select(collections.c.id == collection_id)
        return found[0] if found else None

    def of_user(self, user_id: int) -> list[Collection]:
        return self._select(collections.c.user_id == user_id)

    def _select(self, condition: sa.ColumnElement[bool]) -> list[Collection]:
        size = (
            sa.select(sa.func.count())
            .where(collection_items.c.collection_id == collections.c.id)
            .scalar_subquery()
        )
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(collections, size.label("size"))
                .where(condition)
                .order_by(sa.func.lower(collections.c.name))
            )
            return [
                Collection(**{**row._mapping, "created_at": as_utc(row.created_at)}) for row in rows
            ]

    def items(self, collection_id: int) -> list[CollectionItem]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(collection_items)
                .where(collection_items.c.collection_id == collection_id)
                .order_by(collection_items.c.added_at.desc(), collection_items.c.paper_id)
            )
            return [
                CollectionItem(row.paper_id, tuple(row.tags), as_utc(row.added_at)) for row in rows
            ]

    def put_item(
        self, collection_id: int, paper_id: str, tags: tuple[str, ...], *, now: datetime
    ) -> None:
        """Add the paper, or replace its tags when it is already in the collection."""
        with self.db.begin() as connection:
            updated = connection.execute(
                collection_items.update()
                .where(
                    collection_items.c.collection_id == collection_id,
                    collection_items.c.paper_id == paper_id,
                )
                .values(tags=list(tags))
            ).rowcount
            if not updated:
                connection.execute(
                    collection_items.insert().values(
                        collection_id=collection_id,
                        paper_id=paper_id,
                        tags=list(tags),
                        added_at=now,
                    )
                )

    def remove_item(self, collection_id: int, paper_id: str) -> bool:
        with self.db.begin() as connection:
            removed = connection.execute(
                collection_items.delete().where(
                    collection_items.c.collection_id == collection_id,
                    collection_items.c.paper_id == paper_id,
                )
            ).rowcount
        return bool(removed)

    def holding(self, user_id: int, paper_id: str) -> set[int]:
        """Ids of the user's collections that contain the paper."""
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(collection_items.c.collection_id)
                .join(collections, collections.c.id == collection_items.c.collection_id)
                .where(collections.c.user_id == user_id, collection_items.c.paper_id == paper_id)
            )
            return {int(row[0]) for row in rows}
