"""The digest log: one row per user and digest day, recording what happened to that digest.

Statuses: ``sending`` (the message is about to go to the SMTP server), ``sent``, ``empty``
(nothing new: no email) and ``failed`` (the server refused it; a later run retries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.schema import digest_log
from papersift.timeutil import as_utc

DELIVERED = ("sent", "empty")


@dataclass(frozen=True, slots=True)
class DigestEntry:
    user_id: int
    day: date
    status: str
    message_id: str | None
    updated_at: datetime


class DigestLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def entry(self, user_id: int, day: date) -> DigestEntry | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(digest_log).where(
                    digest_log.c.user_id == user_id, digest_log.c.digest_date == day
                )
            ).first()
        return _entry(row) if row else None

    def mark(
        self, user_id: int, day: date, status: str, message_id: str | None, *, now: datetime
    ) -> None:
        with self.engine.begin() as connection:
            updated = connection.execute(
                digest_log.update()
                .where(digest_log.c.user_id == user_id, digest_log.c.digest_date == day)
                .values(status=status, message_id=message_id, updated_at=now)
            ).rowcount
            if not updated:
                connection.execute(
                    digest_log.insert().values(
                        user_id=user_id,
                        digest_date=day,
                        status=status,
                        message_id=message_id,
                        updated_at=now,
                    )
                )

    def claim(self, user_id: int, day: date, message_id: str, *, now: datetime) -> bool:
        """Mark the digest ``sending`` unless it was delivered; True when this run may send it.

        A ``sending`` row left by a run that crashed is claimed again: the message is sent once
        more with the same Message-ID (see ``papersift.features.digest``).
        """
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(digest_log.c.status).where(
                    digest_log.c.user_id == user_id, digest_log.c.digest_date == day
                )
            ).first()
            if row is not None and row.status in DELIVERED:
                return False
            values = {"status": "sending", "message_id": message_id, "updated_at": now}
            if row is None:
                connection.execute(
                    digest_log.insert().values(user_id=user_id, digest_date=day, **values)
                )
            else:
                connection.execute(
                    digest_log.update()
                    .where(digest_log.c.user_id == user_id, digest_log.c.digest_date == day)
                    .values(**values)
                )
        return True

    def last_delivered(self, user_id: int, before: date) -> DigestEntry | None:
        with self.engine.connect() as connection:
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
