"""Readers' private notes on papers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.schema import paper_notes
from papersift.store.upsert import insert


class NoteStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def put(self, user_id: int, paper_id: str, body: str, *, now: datetime) -> None:
        with self.db.begin() as connection:
            statement = insert(connection, paper_notes).values(
                user_id=user_id, paper_id=paper_id, body=body, updated_at=now
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[paper_notes.c.user_id, paper_notes.c.paper_id],
                    set_={"body": body, "updated_at": now},
                )
            )

    def delete(self, user_id: int, paper_id: str) -> None:
        with self.db.begin() as connection:
            connection.execute(
                paper_notes.delete().where(
                    paper_notes.c.user_id == user_id, paper_notes.c.paper_id == paper_id
                )
            )

    def get(self, user_id: int, paper_id: str) -> str | None:
        with self.db.connect() as connection:
            return connection.execute(
                sa.select(paper_notes.c.body).where(
                    paper_notes.c.user_id == user_id, paper_notes.c.paper_id == paper_id
                )
            ).scalar()

    def of_user(self, user_id: int) -> dict[str, str]:
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(paper_notes.c.paper_id, paper_notes.c.body).where(
                    paper_notes.c.user_id == user_id
                )
            )
            return {str(paper_id): str(body) for paper_id, body in rows}
