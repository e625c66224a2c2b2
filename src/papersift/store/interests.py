"""A reader's interests: follows, "not interested" marks, saved searches and their alert
matches, digest subscriptions, and trained recommendation models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.store.schema import (
    alert_matches,
    dismissals,
    follows,
    saved_searches,
    subscriptions,
    user_models,
)
from papersift.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    user_id: int
    name: str
    query: str
    mode: str
    filters: dict[str, Any]
    checked_rev: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    user_id: int
    frequency: str  # daily | weekly | off
    sections: tuple[str, ...]


class InterestStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    # follows -----------------------------------------------------------------------------------

    def follow(self, user_id: int, kind: str, value: str) -> None:
        try:
            with self.db.begin() as connection:
                connection.execute(follows.insert().values(user_id=user_id, kind=kind, value=value))
        except IntegrityError:
            pass  # already followed

    def unfollow(self, user_id: int, kind: str, value: str) -> None:
        with self.db.begin() as connection:
            connection.execute(
                follows.delete().where(
                    follows.c.user_id == user_id, follows.c.kind == kind, follows.c.value == value
                )
            )

    def follows_of(self, user_id: int) -> list[tuple[str, str]]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(follows.c.kind, follows.c.value)
                .where(follows.c.user_id == user_id)
                .order_by(follows.c.kind, follows.c.value)
            )
            return [(str(row[0]), str(row[1])) for row in rows]

    # not interested ----------------------------------------------------------------------------

    def dismiss(self, user_id: int, paper_id: str, *, now: datetime) -> None:
        try:
            with self.db.begin() as connection:
                connection.execute(
                    dismissals.insert().values(user_id=user_id, paper_id=paper_id, created_at=now)
                )
        except IntegrityError:
            pass

    def undismiss(self, user_id: int, paper_id: str) -> None:
        with self.db.begin() as connection:
            connection.execute(
                dismissals.delete().where(
                    dismissals.c.user_id == user_id, dismissals.c.paper_id == paper_id
                )
            )

    def dismissed(self, user_id: int) -> list[str]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(dismissals.c.paper_id).where(dismissals.c.user_id == user_id)
            )
            return [str(row[0]) for row in rows]

    # saved searches and alerts -----------------------------------------------------------------

    def save_search(
        self,
        user_id: int,
        *,
        name: str,
        query: str,
        mode: str,
        filters: dict[str, Any],
        checked_rev: int,
        now: datetime,
    ) -> SavedSearch:
        values = {
            "user_id": user_id,
            "name": name,
            "query": query,
            "mode": mode,
            "filters": filters,
            "checked_rev": checked_rev,
            "created_at": now,
        }
        with self.db.begin() as connection:
            key = connection.execute(saved_searches.insert().values(values)).inserted_primary_key
        assert key is not None
        return SavedSearch(id=int(key[0]), **values)  # type: ignore[arg-type]

    def delete_search(self, search_id: int) -> None:
        with self.db.begin() as connection:
            connection.execute(
                alert_matches.delete().where(alert_matches.c.saved_search_id == search_id)
            )
            connection.execute(saved_searches.delete().where(saved_searches.c.id == search_id))

    def search(self, search_id: int) -> SavedSearch | None:
        found = self._searches(saved_searches.c.id == search_id)
        return found[0] if found else None

    def searches_of(self, user_id: int) -> list[SavedSearch]:
        return self._searches(saved_searches.c.user_id == user_id)

    def all_searches(self) -> list[SavedSearch]:
        return self._searches(sa.true())

    def _searches(self, condition: sa.ColumnElement[bool]) -> list[SavedSearch]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(saved_searches).where(condition).order_by(saved_searches.c.id)
            )
            return [
                SavedSearch(
                    id=row.id,
                    user_id=row.user_id,
                    name=row.name or row.query,
                    query=row.query,
                    mode=row.mode,
                    filters=dict(row.filters or {}),
                    checked_rev=int(row.checked_rev),
                    created_at=as_utc(row.created_at),
                )
                for row in rows
            ]

    def record_matches(
        self, search_id: int, paper_ids: Sequence[str], checked_rev: int, *, now: datetime
    ) -> int:
        """Add new matches and move the search's checked revision, in one transaction.

        Returns how many matches were new (a paper matches a search at most once).
        """
        with self.db.begin() as connection:
            known = {
                str(row[0])
                for row in connection.execute(
                    sa.select(alert_matches.c.paper_id).where(
                        alert_matches.c.saved_search_id == search_id
                    )
                )
            }
            fresh = [p for p in dict.fromkeys(paper_ids) if p not in known]
            if fresh:
                connection.execute(
                    alert_matches.insert(),
                    [{"saved_search_id": search_id, "paper_id": p, "found_at": now} for p in fresh],
                )
            connection.execute(
                saved_searches.update()
                .where(saved_searches.c.id == search_id)
                .values(checked_rev=checked_rev)
            )
        return len(fresh)

    def matches(
        self, search_id: int, *, since: datetime | None = None, limit: int = 100
    ) -> list[tuple[str, datetime]]:
        """(paper id, found at) of the search's matches, newest first."""
        condition = alert_matches.c.saved_search_id == search_id
        if since is not None:
            condition = sa.and_(condition, alert_matches.c.found_at >= since)
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(alert_matches.c.paper_id, alert_matches.c.found_at)
                .where(condition)
                .order_by(alert_matches.c.found_at.desc(), alert_matches.c.paper_id)
                .limit(limit)
            )
            return [(str(row[0]), as_utc(row[1])) for row in rows]

    # digest subscriptions ----------------------------------------------------------------------

    def subscription(self, user_id: int) -> Subscription | None:
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(subscriptions).where(subscriptions.c.user_id == user_id)
            ).first()
        if row is None:
            return None
        return Subscription(row.user_id, row.frequency, tuple(row.sections))

    def subscribe(
        self, user_id: int, frequency: str, sections: Sequence[str], *, now: datetime
    ) -> None:
        with self.db.begin() as connection:
            updated = connection.execute(
                subscriptions.update()
                .where(subscriptions.c.user_id == user_id)
                .values(frequency=frequency, sections=list(sections))
            ).rowcount
            if not updated:
                connection.execute(
                    subscriptions.insert().values(
                        user_id=user_id,
                        frequency=frequency,
                        sections=list(sections),
                        created_at=now,
                    )
                )

    def subscribers(self) -> list[Subscription]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(subscriptions)
                .where(subscriptions.c.frequency != "off")
                .order_by(subscriptions.c.user_id)
            )
            return [Subscription(row.user_id, row.frequency, tuple(row.sections)) for row in rows]

    # trained models ----------------------------------------------------------------------------

    def model(self, user_id: int) -> tuple[str, bytes] | None:
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(user_models.c.signals_key, user_models.c.model).where(
                    user_models.c.user_id == user_id
                )
            ).first()
        return (str(row[0]), bytes(row[1])) if row else None

    def save_model(self, user_id: int, signals_key: str, model: bytes, *, now: datetime) -> None:
        with self.db.begin() as connection:
            connection.execute(user_models.delete().where(user_models.c.user_id == user_id))
            connection.execute(
                user_models.insert().values(
                    user_id=user_id, signals_key=signals_key, model=model, trained_at=now
                )
            )
