"""Named monotonic counters in the database (shared by every process using the store)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from papersift.store.schema import counters

PAPER_REV = "paper_rev"  # orders paper changes, so indexes catch up incrementally
COMMUNITY_REV = "community_rev"  # bumped by upvotes and submissions: cached pages go stale


def bump(connection: Connection, name: str) -> int:
    """Increment the counter (creating it at 1) in the caller's transaction; returns the value."""
    updated = connection.execute(
        counters.update()
        .where(counters.c.name == name)
        .values(value=counters.c.value + 1)
        .returning(counters.c.value)
    ).scalar()
    if updated is not None:
        return int(updated)
    connection.execute(counters.insert().values(name=name, value=1))
    return 1


def current(name: str) -> sa.ScalarSelect[int]:
    """A scalar subquery with the counter's value (NULL before its first bump)."""
    return sa.select(counters.c.value).where(counters.c.name == name).scalar_subquery()
