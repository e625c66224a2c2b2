"""Counters for abuse limits, shared by every worker and machine of a deployment.

One row a key: the count of the current fixed window and the time of the last hit. Each hit is
one atomic statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, on SQLite and
PostgreSQL alike), so parallel requests on any number of processes never both see room for one.
Rows are transient: ``migrate-store`` and backups need not carry them (their own metadata).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

limits_metadata = sa.MetaData()

rate_limits = sa.Table(
    "rate_limits",
    limits_metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    # Start of the current window and time of the latest hit, in seconds since the epoch.
    sa.Column("window_start", sa.Float, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Index("ix_rate_limits_last_at", "last_at"),
)

_HIT = sa.text(
    """
    INSERT INTO rate_limits (key, window_start, count, last_at)
    VALUES (:key, :window_start, :amount, :now)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limits.window_start = excluded.window_start
                     THEN rate_limits.count + excluded.count ELSE excluded.count END,
        window_start = excluded.window_start,
        last_at = excluded.last_at
    RETURNING count
    """
)

# Rows untouched for this long are deleted now and then (no window is longer than a day).
STALE_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Counter:
    count: int
    last_at: float


class LimitStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def hit(self, key: str, *, window_start: float, now: float, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s count in the window starting at ``window_start`` (a new
        window starts from zero); returns the count after this hit, atomically."""
        with self.db.begin() as connection:
            count = connection.execute(
                _HIT,
                {"key": key, "window_start": window_start, "amount": amount, "now": now},
            ).scalar_one()
        return int(count)

    def get(self, key: str, *, window_start: float) -> Counter | None:
        """``key``'s count in the window starting at ``window_start`` (None: no hit in it)."""
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(rate_limits.c.count, rate_limits.c.last_at).where(
                    rate_limits.c.key == key, rate_limits.c.window_start == window_start
                )
            ).first()
        if row is None:
            return None
        return Counter(int(row[0]), float(row[1]))

    def claim(self, key: str, *, seen_last_at: float, now: float) -> bool:
        """Move ``key``'s last hit from ``seen_last_at`` to ``now``, only if no one else did since:
        exactly one of many parallel callers that saw the same row wins."""
        with self.db.begin() as connection:
            result = connection.execute(
                rate_limits.update()
                .where(rate_limits.c.key == key, rate_limits.c.last_at == seen_last_at)
                .values(last_at=now)
            )
        return bool(result.rowcount == 1)

    def reset(self, key: str) -> None:
        with self.db.begin() as connection:
            connection.execute(rate_limits.delete().where(rate_limits.c.key == key))

    def prune(self, *, now: float) -> None:
        with self.db.begin() as connection:
            connection.execute(
                rate_limits.delete().where(rate_limits.c.last_at < now - STALE_SECONDS)
            )
