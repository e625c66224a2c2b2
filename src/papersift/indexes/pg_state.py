"""The state of an index kept in the database (PostgreSQL stores): one JSON row per index,
written in the same transaction as the entries it describes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from papersift.store.search_schema import search_state


def read_state(connection: Connection, name: str) -> dict[str, Any] | None:
    found = connection.execute(
        sa.select(search_state.c.meta).where(search_state.c.name == name)
    ).scalar()
    return dict(found) if found else None


def write_state(connection: Connection, name: str, meta: dict[str, Any]) -> None:
    updated = connection.execute(
        search_state.update().where(search_state.c.name == name).values(meta=meta)
    ).rowcount
    if not updated:
        connection.execute(search_state.insert().values(name=name, meta=meta))


def delete_state(connection: Connection, name: str) -> None:
    connection.execute(search_state.delete().where(search_state.c.name == name))


def lock_writers(connection: Connection, name: str) -> None:
    """Serialise the writers of one index (two `papersift index` runs at once) until commit."""
    connection.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"papersift:{name}"}
    )
