"""Checkpoints of OAI-PMH harvests, written in the same transaction as each page's papers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from papersift.store.schema import harvest_state


@dataclass(frozen=True, slots=True)
class HarvestCheckpoint:
    key: str
    resumption_token: str | None
    pages: int
    records: int
    status: str  # "running" while pages remain, "done" when the list was harvested completely

    @property
    def resumable(self) -> bool:
        return self.status == "running" and self.resumption_token is not None


class HarvestLog:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def get(self, key: str) -> HarvestCheckpoint | None:
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(harvest_state).where(harvest_state.c.key == key)
            ).first()
        if row is None:
            return None
        return HarvestCheckpoint(
            row.key, row.resumption_token, int(row.pages), int(row.records), row.status
        )

    def save(self, connection: Connection, checkpoint: HarvestCheckpoint) -> None:
        values = {
            "resumption_token": checkpoint.resumption_token,
            "pages": checkpoint.pages,
            "records": checkpoint.records,
            "status": checkpoint.status,
            "updated_at": datetime.now(UTC),
        }
        updated = connection.execute(
            harvest_state.update().where(harvest_state.c.key == checkpoint.key).values(values)
        )
        if updated.rowcount == 0:
            connection.execute(harvest_state.insert().values(key=checkpoint.key, **values))
