"""The admin role of accounts (moderators)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.schema import users


def set_admin(engine: Engine, email: str, admin: bool) -> int | None:
    """Grant or revoke the role of the account with ``email`` (any case); its id, or None when
    there is no such account."""
    with engine.begin() as connection:
        user_id = connection.execute(
            users.update()
            .where(sa.func.lower(users.c.email) == email.strip().lower())
            .values(is_admin=admin)
            .returning(users.c.id)
        ).scalar()
    return int(user_id) if user_id is not None else None
