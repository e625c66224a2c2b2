"""Named monotonic counters in the database (shared by every process using the store)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from papersift.store.schema import counters
from papersift.store.upsert import insert

PAPER_REV = "paper_rev"  # orders paper changes, so indexes catch up incrementally
COMMUNITY_REV = "community_rev"  # bumped by upvotes and submissions: cached pages go stale


def bump(connection: Connection, name: str) -> int:
    """Increment the counter (creating it at 1) in the caller's transaction; returns the value.

    One statement, so processes bumping a counter that does not exist yet cannot both insert it.
    """
    statement = insert(connection, counters).values(name=name, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
    )
    return int(connection.execute(statement.returning(counters.c.value)).scalar_one())


def current(name: str) -> sa.ScalarSelect[int]:
    """A scalar subquery with the counter's value (NULL before its first bump)."""
    return sa.select(counters.c.value).where(counters.c.name == name).scalar_subquery()
