"""INSERT ... ON CONFLICT for the store's two databases, for writes that must be one atomic
statement when several processes (web workers, digest runs on other machines) share a store.

A read followed by an insert or update lets two processes both see "no row" and both write (or
one fail on the primary key); ``ON CONFLICT`` makes the database decide who was first: on
PostgreSQL the second statement waits for the first one's transaction and then sees its row, on
SQLite writers take turns anyway. Both support ``RETURNING`` (SQLite since 3.35).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from papersift.errors import StoreError


def insert(connection: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """``table.insert()`` of the connection's dialect, which has ``on_conflict_do_*``."""
    name = connection.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"papersift stores live in SQLite or PostgreSQL, not {name}")
