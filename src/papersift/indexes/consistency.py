"""Which store history the index files mirror, so that a store that went back in time is noticed.

A store goes back in time when an older copy is restored, or when a power loss drops its last
transactions (SQLite's ``synchronous=NORMAL``). Its revision numbers are then handed out again,
and an index that believes it is complete up to revision R would never index the new papers
that get numbers up to R. Two checks catch it:

- ``store_key``: the store's id, plus a history id that ``papersift restore`` renews; indexes
  record the key they were built for, so after a restore every index is rebuilt;
- the head: after every keyword update the id of the paper holding the index's revision is
  recorded beside the indexes (``HEAD_DIR``); if that paper no longer holds a revision at least
  as high, or the store's revisions end below it, the index has diverged and is rebuilt.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine as Database

from papersift.errors import IndexError_
from papersift.indexes.meta import read_meta, write_meta
from papersift.store.info import read_info, write_info
from papersift.store.schema import papers

HISTORY_KEY = "store_history"
HEAD_DIR = "store-head"


def store_key(database: Database, store_id: str) -> str:
    """The store's id, with its history id once a restore has given it one."""
    history = read_info(database, HISTORY_KEY)
    return f"{store_id}/{history['id']}" if history and history.get("id") else store_id


def renew_history(database: Database) -> None:
    """Mark the store as a new history (after a restore): indexes built before are rebuilt."""
    write_info(database, HISTORY_KEY, {"id": uuid.uuid4().hex})


def record_head(database: Database, index_dir: Path, rev: int) -> None:
    """Remember which paper holds revision ``rev``, the keyword index's revision."""
    with database.connect() as connection:
        paper_id = connection.execute(sa.select(papers.c.id).where(papers.c.rev == rev)).scalar()
    (index_dir / HEAD_DIR).mkdir(parents=True, exist_ok=True)
    write_meta(index_dir / HEAD_DIR, {"rev": rev, "paper_id": paper_id})


def head_intact(database: Database, index_dir: Path, rev: int) -> bool:
    """Whether the store still holds the history the index was built from up to ``rev``."""
    with database.connect() as connection:
        highest = connection.execute(sa.select(sa.func.max(papers.c.rev))).scalar() or 0
        if highest < rev:
            return False
        try:
            head = read_meta(index_dir / HEAD_DIR)
        except IndexError_:
            return False
        if head is None or head.get("rev") != rev or head.get("paper_id") is None:
            return True  # nothing recorded to check against (an index from before the head)
        now = connection.execute(
            sa.select(papers.c.rev).where(papers.c.id == head["paper_id"])
        ).scalar()
    return now is not None and int(now) >= rev
