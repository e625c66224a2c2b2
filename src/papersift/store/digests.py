"""The digest log: one row per user and digest day, recording what happened to that digest.

Statuses: ``sending`` (a run claimed the digest and is handing it to the SMTP server), ``sent``,
``empty`` (nothing new: no email) and ``failed`` (the server refused it; a later run retries).
Every write is a single atomic statement, so runs on several machines sharing the store never
both send one digest (see ``DigestLog.claim``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.schema import digest_log
from papersift.store.upsert import insert
from papersift.timeutil import as_utc

DELIVERED = ("sent", "empty")

# How long a ``sending`` claim keeps other runs away. A live run holds its claim only while it
# hands one message to the SMTP server (connect, STARTTLS, AUTH, MAIL/RCPT/DATA: each step
# bounded by the SMTP timeout, 30 s by default, and one reconnect): minutes at the very worst.
# A claim older than that was left by a crashed run, and the next run after the lease sends the
# digest. Shorter risks a duplicate (a slow live run loses its claim); longer only delays that
# retry, and a re-run within the lease leaves the digest for a later run.
CLAIM_LEASE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class DigestEntry:
    user_id: int
    day: date
    status: str
    message_id: str | None
    updated_at: datetime


class DigestLog:
    def __init__(self, db: Engine, *, claim_lease: timedelta = CLAIM_LEASE) -> None:
        self.db = db
        self.claim_lease = claim_lease

    def entry(self, user_id: int, day: date) -> DigestEntry | None:
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(digest_log).where(
                    digest_log.c.user_id == user_id, digest_log.c.digest_date == day
                )
            ).first()
        return _entry(row) if row else None

    def mark(
        self, user_id: int, day: date, status: str, message_id: str | None, *, now: datetime
    ) -> None:
        """Record ``status`` (one atomic upsert); a ``sent`` digest stays ``sent``."""
        values = {"status": status, "message_id": message_id, "updated_at": now}
        with self.db.begin() as connection:
            statement = insert(connection, digest_log).values(
                user_id=user_id, digest_date=day, **values
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[digest_log.c.user_id, digest_log.c.digest_date],
                    set_=values,
                    where=digest_log.c.status != "sent",
                )
            )

    def claim(self, user_id: int, day: date, message_id: str, *, now: datetime) -> bool:
        """Mark the digest ``sending``; True when this run won it and may send it.

        One atomic statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING), so of
        runs racing for one digest (several machines share the store: the data directory's
        run lock does not keep them apart) exactly one wins. The digest is claimable when it
        has no row yet, when it ``failed``, or when it is ``sending`` since longer than
        ``claim_lease``: a run crashed between claiming and sending or marking it, and the
        message is sent once more with the same Message-ID (see ``papersift.features.digest``).
        A younger ``sending`` row may belong to a live run still talking to the SMTP server,
        so it is left alone; ``sent`` and ``empty`` never are claimable.
        """
        stale_before = now - self.claim_lease
        values = {"status": "sending", "message_id": message_id, "updated_at": now}
        with self.db.begin() as connection:
            statement = insert(connection, digest_log).values(
                user_id=user_id, digest_date=day, **values
            )
            claimed = connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[digest_log.c.user_id, digest_log.c.digest_date],
                    set_=values,
                    where=sa.or_(
                        digest_log.c.status == "failed",
                        sa.and_(
                            digest_log.c.status == "sending",
                            digest_log.c.updated_at < stale_before,
                        ),
                    ),
                ).returning(digest_log.c.user_id)
            ).first()
        return claimed is not None

    def last_delivered(self, user_id: int, before: date) -> DigestEntry | None:
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(digest_log)
                .where(
                    digest_log.c.user_id == user_id,
                    digest_log.c.digest_date < before,
                    digest_log.c.status.in_(DELIVERED),
                )
                .order_by(digest_log.c.digest_date.desc())
                .limit(1)
            ).first()
        return _entry(row) if row else None


def _entry(row: sa.Row[tuple[int, date, str, str | None, datetime]]) -> DigestEntry:
    return DigestEntry(
        int(row.user_id), row.digest_date, str(row.status), row.message_id, as_utc(row.updated_at)
    )
