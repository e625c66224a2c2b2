"""Per reader: the papers seen (shown in a digest, or marked) and read (opened, or marked), and
whether lists hide them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.schema import paper_states, reader_settings
from papersift.store.upsert import insert

SEEN, READ = "seen", "read"
_CHUNK = 500


class ReadingStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def mark(self, user_id: int, paper_ids: Iterable[str], state: str, *, now: datetime) -> None:
        """Record ``state`` for the papers; "seen" never turns a read paper back to seen."""
        rows = [
            {"user_id": user_id, "paper_id": pid, "state": state, "updated_at": now}
            for pid in dict.fromkeys(paper_ids)
        ]
        if not rows:
            return
        with self.db.begin() as connection:
            statement = insert(connection, paper_states)
            keep_read = sa.case(
                (paper_states.c.state == READ, READ), else_=statement.excluded.state
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[paper_states.c.user_id, paper_states.c.paper_id],
                    set_={
                        "state": keep_read if state == SEEN else statement.excluded.state,
                        "updated_at": statement.excluded.updated_at,
                    },
                ),
                rows,
            )

    def forget(self, user_id: int, paper_id: str) -> None:
        with self.db.begin() as connection:
            connection.execute(
                paper_states.delete().where(
                    paper_states.c.user_id == user_id, paper_states.c.paper_id == paper_id
                )
            )

    def states(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _CHUNK):
                chunk = list(paper_ids[start : start + _CHUNK])
                rows = connection.execute(
                    sa.select(paper_states.c.paper_id, paper_states.c.state).where(
                        paper_states.c.user_id == user_id, paper_states.c.paper_id.in_(chunk)
                    )
                )
                found.update((str(pid), str(state)) for pid, state in rows)
        return found

    def all_of(self, user_id: int) -> set[str]:
        """Every paper the reader has seen or read."""
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(paper_states.c.paper_id).where(paper_states.c.user_id == user_id)
            )
            return {str(row[0]) for row in rows}

    def hides_seen(self, user_id: int) -> bool:
        with self.db.connect() as connection:
            value = connection.execute(
                sa.select(reader_settings.c.hide_seen).where(reader_settings.c.user_id == user_id)
            ).scalar()
        return bool(value)

    def set_hide_seen(self, user_id: int, hide: bool) -> None:
        with self.db.begin() as connection:
            statement = insert(connection, reader_settings).values(user_id=user_id, hide_seen=hide)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[reader_settings.c.user_id], set_={"hide_seen": hide}
                )
            )
