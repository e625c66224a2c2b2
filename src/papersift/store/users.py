"""Users, their login sessions, and failed logins (for rate limiting)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.store.schema import login_failures, sessions, users
from papersift.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    display_name: str
    password_hash: str
    is_admin: bool
    created_at: datetime


class EmailTaken(Exception):
    """A user with this email address already exists."""


def _user(row: Any) -> User:
    values = dict(row._mapping)
    values["created_at"] = as_utc(values["created_at"])
    return User(**values)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # users -------------------------------------------------------------------------------------

    def create(self, email: str, display_name: str, password_hash: str, *, now: datetime) -> User:
        """Insert a user; raises EmailTaken when the (normalised) address is in use."""
        values: dict[str, Any] = {
            "email": email,
            "display_name": display_name,
            "password_hash": password_hash,
            "is_admin": False,
            "created_at": now,
        }
        try:
            with self.engine.begin() as connection:
                user_id = connection.execute(users.insert().values(values)).inserted_primary_key
        except IntegrityError as exc:
            raise EmailTaken(email) from exc
        assert user_id is not None
        return User(id=int(user_id[0]), **values)

    def by_email(self, email: str) -> User | None:
        return self._one(users.c.email == email)

    def by_id(self, user_id: int) -> User | None:
        return self._one(users.c.id == user_id)

    def names(self, user_ids: set[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(users.c.id, users.c.display_name).where(users.c.id.in_(user_ids))
            )
            return {int(row.id): str(row.display_name) for row in rows}

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                users.update().where(users.c.id == user_id).values(password_hash=password_hash)
            )

    def _one(self, condition: sa.ColumnElement[bool]) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(users).where(condition)).first()
        return _user(row) if row else None

    # sessions ----------------------------------------------------------------------------------

    def start_session(self, user_id: int, *, now: datetime, lifetime: timedelta) -> str:
        """A new session for the user; returns the token for the cookie (stored only hashed)."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.expires_at < now))
            connection.execute(
                sessions.insert().values(
                    token_hash=_token_hash(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return token

    def session_user(self, token: str, *, now: datetime) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(users)
                .join(sessions, sessions.c.user_id == users.c.id)
                .where(sessions.c.token_hash == _token_hash(token), sessions.c.expires_at > now)
            ).first()
        return _user(row) if row else None

    def end_session(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token)))

    # failed logins -----------------------------------------------------------------------------

    def record_failure(self, keys: list[str], *, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(login_failures.insert(), [{"key": k, "at": now} for k in keys])

    def failures_since(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures ``key`` had since ``since``, and the oldest of them."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(sa.func.count(), sa.func.min(login_failures.c.at)).where(
                    login_failures.c.key == key, login_failures.c.at >= since
                )
            ).one()
        return int(row[0]), row[1]

    def clear_failures(self, key: str, *, before: datetime | None = None) -> None:
        with self.engine.begin() as connection:
            condition = login_failures.c.key == key
            if before is not None:
                condition = sa.or_(condition, login_failures.c.at < before)
            connection.execute(login_failures.delete().where(condition))
