"""Rendered pages in the database, so every serve worker (and machine) shares one cache."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from papersift.store.schema import page_cache

TRIM_EVERY = 64  # writes between trims to ``max_entries``


class PageCacheStore:
    def __init__(self, db: Engine) -> None:
        self.db = db
        self._writes = 0

    def get(self, key: str) -> bytes | None:
        with self.db.connect() as connection:
            body = connection.execute(
                sa.select(page_cache.c.body).where(page_cache.c.key == key)
            ).scalar()
        return bytes(body) if body is not None else None

    def put(self, key: str, version: str, body: bytes, *, now: datetime, max_entries: int) -> None:
        """Store a page; drop pages of other data versions; keep at most ``max_entries``.

        A cache write that loses a race or meets a busy database is skipped: the page is simply
        rendered again next time.
        """
        try:
            with self.db.begin() as connection:
                connection.execute(page_cache.delete().where(page_cache.c.version != version))
                connection.execute(
                    page_cache.insert().values(key=key, version=version, body=body, created_at=now)
                )
                self._writes += 1
                if self._writes % TRIM_EVERY == 0:
                    self._trim(connection, max_entries)
        except (IntegrityError, OperationalError):
            pass

    def _trim(self, connection: sa.Connection, max_entries: int) -> None:
        cutoff = connection.execute(
            sa.select(page_cache.c.created_at)
            .order_by(page_cache.c.created_at.desc())
            .offset(max_entries)
            .limit(1)
        ).scalar()
        if cutoff is not None:
            connection.execute(page_cache.delete().where(page_cache.c.created_at <= cutoff))
