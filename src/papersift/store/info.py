"""Small JSON records kept in the store's ``store_info`` table, shared by every process."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine as Database

from papersift.store.schema import store_info


def read_info(database: Database, key: str) -> dict[str, Any] | None:
    """The record stored under ``key``, or None (also for a value that is not a JSON object)."""
    with database.connect() as connection:
        value = connection.execute(
            sa.select(store_info.c.value).where(store_info.c.key == key)
        ).scalar()
    if value is None:
        return None
    try:
        found = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def write_info(database: Database, key: str, record: dict[str, Any]) -> None:
    """Store ``record`` under ``key``, replacing what was there."""
    value = orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS).decode()
    with database.begin() as connection:
        updated = connection.execute(
            store_info.update().where(store_info.c.key == key).values(value=value)
        ).rowcount
        if not updated:
            connection.execute(store_info.insert().values(key=key, value=value))


def delete_info(database: Database, key: str) -> None:
    with database.begin() as connection:
        connection.execute(store_info.delete().where(store_info.c.key == key))
