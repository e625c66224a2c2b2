"""Backups of a SQLite store: consistent snapshots taken while it serves, and putting one back.

Both use SQLite's online backup API, which copies the database page by page under a read lock
(a snapshot) or into the live database under a write lock, so other processes keep working and
see the old or the new store, never a mix. A PostgreSQL store is backed up with PostgreSQL's own
tools (``PG_HINT``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import Engine as Database

from papersift.errors import InvalidInputError, SettingsError
from papersift.indexes.meta import fsync_directory

PG_HINT = (
    "papersift backup and restore copy SQLite stores; back up PostgreSQL with "
    "`pg_dump --format=custom --file=papersift.dump DATABASE` and put it back with "
    "`pg_restore --clean --dbname=DATABASE papersift.dump`, then run `papersift index`"
)
_REQUIRED_TABLES = {"store_info", "papers", "users", "alembic_version"}


def backup(database: Database, target: Path) -> int:
    """Write a snapshot of the store to ``target`` (a new file, mode 0600); its size in bytes."""
    _require_sqlite(database)
    if target.exists():
        raise InvalidInputError(f"{target} exists already: choose a new file for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    try:
        copy = sqlite3.connect(partial)
        try:
            with _sqlite_connection(database) as live:
                live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    fsync_directory(target.parent)
    return target.stat().st_size


def restore(database: Database, source: Path) -> None:
    """Replace the store's contents with the backup at ``source`` (checked first)."""
    _require_sqlite(database)
    backup_copy = _open_backup(source)
    try:
        with _sqlite_connection(database) as live:
            backup_copy.backup(live)
    finally:
        backup_copy.close()


def _open_backup(source: Path) -> sqlite3.Connection:
    if not source.is_file():
        raise InvalidInputError(f"no backup file at {source}")
    try:
        connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        check = connection.execute("PRAGMA quick_check").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise InvalidInputError(f"{source} is not a papersift backup: {exc}") from None
    if check != ("ok",) or not tables >= _REQUIRED_TABLES:
        connection.close()
        problem = "it is damaged" if check != ("ok",) else "it holds no papersift store"
        raise InvalidInputError(f"{source} is not a papersift backup: {problem}")
    return connection


@contextlib.contextmanager
def _sqlite_connection(database: Database) -> Iterator[sqlite3.Connection]:
    raw = database.raw_connection()
    try:
        connection = raw.driver_connection
        if not isinstance(connection, sqlite3.Connection):
            raise SettingsError(PG_HINT)
        yield connection
        raw.commit()
    finally:
        raw.close()


def _require_sqlite(database: Database) -> None:
    if database.dialect.name != "sqlite":
        raise SettingsError(PG_HINT)
