"""Deployment-wide locks: one holder across processes, web workers and (on PostgreSQL) machines.

SQLite lives on one machine, so its locks are files beside the database, held with ``flock``;
PostgreSQL's are session advisory locks on a connection kept for the lock's lifetime. Either way
the operating system or the server drops the lock when its holder dies.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine as Database


class LockBusy(Exception):
    """Another process holds the lock."""


@contextmanager
def deployment_lock(database: Database, name: str, *, lock_dir: Path) -> Iterator[None]:
    """Hold the deployment's lock ``name`` for the block; ``LockBusy`` at once if it is held.

    ``lock_dir`` holds the lock files of a store that is not PostgreSQL.
    """
    if database.dialect.name == "postgresql":
        with _advisory_lock(database, name):
            yield
    else:
        with _file_lock(lock_dir / f"{name}.lock"):
            yield


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    from papersift.runlock import LockHeld, run_lock

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(run_lock(path))
        except LockHeld:
            raise LockBusy(path.stem) from None
        yield


@contextmanager
def _advisory_lock(database: Database, name: str) -> Iterator[None]:
    key = _advisory_key(name)
    with database.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        taken = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        if not taken.scalar():
            raise LockBusy(name)
        try:
            yield
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks are numbered)."""
    digest = hashlib.blake2b(f"papersift:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
