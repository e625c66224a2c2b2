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

from papersift.store.counters import COMMUNITY_REV, bump
from papersift.store.schema import (
    account_tokens,
    alert_matches,
    collection_items,
    collections,
    login_failures,
    metadata,
    page_cache,
    saved_searches,
    sessions,
    users,
)
from papersift.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    display_name: str
    password_hash: str
    is_admin: bool
    created_at: datetime
    email_verified_at: datetime | None = None

    @property
    def verified(self) -> bool:
        """Whether the owner of ``email`` opened a link sent to it."""
        return self.email_verified_at is not None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One login session, as the account page lists it (never the token)."""

    id: str  # a short, non-secret handle: the start of the token's hash
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    current: bool


@dataclass(frozen=True, slots=True)
class LinkUse:
    """What a single-use link was for, once used."""

    user_id: int
    purpose: str
    email: str


class EmailTaken(Exception):
    """A user with this email address already exists."""


def _user(row: Any) -> User:
    values = dict(row._mapping)
    values["created_at"] = as_utc(values["created_at"])
    if values.get("email_verified_at") is not None:
        values["email_verified_at"] = as_utc(values["email_verified_at"])
    return User(**values)


_SEEN_EVERY = timedelta(minutes=1)
# Tables of counters keyed by strings that may hold an email address ("email:a@b.c", ...).
_KEYED_BY_ADDRESS = frozenset({"login_failures", "rate_limits"})
_KEEP_EXPIRED = timedelta(days=1)


class _Row:
    """A plain mapping standing for a result row (``_user`` reads ``_mapping``)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._mapping = values


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(self, db: Engine, *, session_idle: timedelta | None = None) -> None:
        """``session_idle``: sessions unused this long end (None: only their lifetime counts)."""
        self.db = db
        self.session_idle = session_idle

    # users -------------------------------------------------------------------------------------

    def create(
        self,
        email: str,
        display_name: str,
        password_hash: str,
        *,
        now: datetime,
        verified: bool = False,
    ) -> User:
        """Insert a user; raises EmailTaken when the (normalised) address is in use.

        ``verified``: the address counts as verified from now (imports and tests; sign-ups are
        verified by the link mailed to them)."""
        values: dict[str, Any] = {
            "email": email,
            "display_name": display_name,
            "password_hash": password_hash,
            "is_admin": False,
            "created_at": now,
            "email_verified_at": now if verified else None,
        }
        try:
            with self.db.begin() as connection:
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
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(users.c.id, users.c.display_name).where(users.c.id.in_(user_ids))
            )
            return {int(row.id): str(row.display_name) for row in rows}

    def set_admin(self, user_id: int, admin: bool) -> None:
        """Grant or revoke the admin role (moderators)."""
        with self.db.begin() as connection:
            connection.execute(users.update().where(users.c.id == user_id).values(is_admin=admin))

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.db.begin() as connection:
            connection.execute(
                users.update().where(users.c.id == user_id).values(password_hash=password_hash)
            )

    def mark_verified(self, user_id: int, email: str, *, now: datetime) -> bool:
        """Make ``email`` the user's verified address (it may be a new one); False when another
        account holds the address."""
        try:
            with self.db.begin() as connection:
                connection.execute(
                    users.update()
                    .where(users.c.id == user_id)
                    .values(email=email, email_verified_at=now)
                )
        except IntegrityError:
            return False
        return True

    def delete(self, user_id: int, email: str) -> None:
        """Delete the user and every row that names them, in one transaction: their own rows
        (ON DELETE CASCADE, done here explicitly too, for stores running without foreign keys)
        and the rows of theirs those hold (collection items, alert matches); failed logins and
        rate-limit counters keyed by their address; and the page cache, whose pages may show
        their name (the community revision moves on, as after any vote)."""
        owned = [
            table for table in metadata.sorted_tables if "user_id" in table.c and table is not users
        ]
        with self.db.begin() as connection:
            for table in reversed(owned):
                if table is collections:
                    ids = sa.select(table.c.id).where(table.c.user_id == user_id)
                    connection.execute(
                        collection_items.delete().where(collection_items.c.collection_id.in_(ids))
                    )
                if table is saved_searches:
                    ids = sa.select(table.c.id).where(table.c.user_id == user_id)
                    connection.execute(
                        alert_matches.delete().where(alert_matches.c.saved_search_id.in_(ids))
                    )
                connection.execute(table.delete().where(table.c.user_id == user_id))
            for name in _KEYED_BY_ADDRESS.intersection(sa.inspect(connection).get_table_names()):
                keyed = sa.table(name, sa.column("key", sa.String))
                connection.execute(
                    keyed.delete().where(keyed.c.key.contains(email, autoescape=True))
                )
            connection.execute(page_cache.delete())
            connection.execute(users.delete().where(users.c.id == user_id))
            bump(connection, COMMUNITY_REV)

    def _one(self, condition: sa.ColumnElement[bool]) -> User | None:
        with self.db.connect() as connection:
            row = connection.execute(sa.select(users).where(condition)).first()
        return _user(row) if row else None

    # sessions ----------------------------------------------------------------------------------

    def start_session(
        self, user_id: int, *, now: datetime, lifetime: timedelta, user_agent: str = ""
    ) -> str:
        """A new session for the user; returns the token for the cookie (stored only hashed)."""
        token = secrets.token_urlsafe(32)
        with self.db.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.expires_at < now))
            connection.execute(
                sessions.insert().values(
                    token_hash=_token_hash(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + lifetime,
                    last_seen_at=now,
                    user_agent=" ".join(user_agent.split())[:200] or None,
                )
            )
        return token

    def session_user(
        self, token: str, *, now: datetime, idle: timedelta | None = None
    ) -> User | None:
        """The user of a live session: not past its lifetime, nor idle longer than ``idle``
        (its last use is noted, at most once a minute, so the idle time counts from it)."""
        token_hash = _token_hash(token)
        idle = idle if idle is not None else self.session_idle
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(users, sessions.c.last_seen_at, sessions.c.created_at.label("started"))
                .join(sessions, sessions.c.user_id == users.c.id)
                .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now)
            ).first()
        if row is None:
            return None
        values = dict(row._mapping)
        last_seen = as_utc(values.pop("last_seen_at") or values.pop("started"))
        values.pop("started", None)
        if idle is not None and last_seen + idle <= now:
            self.end_session(token)
            return None
        if now - last_seen >= _SEEN_EVERY:
            with self.db.begin() as connection:
                connection.execute(
                    sessions.update()
                    .where(sessions.c.token_hash == token_hash)
                    .values(last_seen_at=now)
                )
        return _user(_Row(values))

    def describe_session(self, token: str, user_agent: str) -> None:
        """Note the browser a session runs in (shown in the account's list of sessions)."""
        with self.db.begin() as connection:
            connection.execute(
                sessions.update()
                .where(sessions.c.token_hash == _token_hash(token))
                .values(user_agent=" ".join(user_agent.split())[:200] or None)
            )

    def end_session(self, token: str) -> None:
        with self.db.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token)))

    def end_sessions(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of the user but ``keep`` (a token); returns how many ended."""
        condition = sessions.c.user_id == user_id
        if keep:
            condition = sa.and_(condition, sessions.c.token_hash != _token_hash(keep))
        with self.db.begin() as connection:
            return connection.execute(sessions.delete().where(condition)).rowcount or 0

    def sessions_of(self, user_id: int, *, now: datetime, current: str | None) -> list[SessionInfo]:
        """The user's live sessions, the most recently used first."""
        mine = _token_hash(current) if current else None
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(sessions).where(
                    sessions.c.user_id == user_id, sessions.c.expires_at > now
                )
            ).all()
        found = [
            SessionInfo(
                id=row.token_hash[:12],
                created_at=as_utc(row.created_at),
                last_seen_at=as_utc(row.last_seen_at or row.created_at),
                expires_at=as_utc(row.expires_at),
                user_agent=row.user_agent or "",
                current=row.token_hash == mine,
            )
            for row in rows
        ]
        return sorted(found, key=lambda s: (not s.current, -s.last_seen_at.timestamp()))

    # single-use links --------------------------------------------------------------------------

    def new_link(
        self, user_id: int, purpose: str, email: str, *, now: datetime, lifetime: timedelta
    ) -> str:
        """A new single-use link token for the user (stored only hashed)."""
        token = secrets.token_urlsafe(32)
        with self.db.begin() as connection:
            connection.execute(  # links long expired are kept a day, for counting re-sends
                account_tokens.delete().where(account_tokens.c.expires_at < now - _KEEP_EXPIRED)
            )
            connection.execute(
                account_tokens.insert().values(
                    token_hash=_token_hash(token),
                    user_id=user_id,
                    purpose=purpose,
                    email=email,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return token

    def links_since(
        self, user_id: int, purpose: str, since: datetime
    ) -> list[tuple[datetime, str]]:
        """When (and to which address) the user's links of ``purpose`` made since ``since``
        were made, oldest first."""
        with self.db.connect() as connection:
            rows = connection.execute(
                sa.select(account_tokens.c.created_at, account_tokens.c.email)
                .where(
                    account_tokens.c.user_id == user_id,
                    account_tokens.c.purpose == purpose,
                    account_tokens.c.created_at >= since,
                )
                .order_by(account_tokens.c.created_at)
            ).all()
        return [(as_utc(row.created_at), str(row.email)) for row in rows]

    def use_link(self, token: str, purposes: tuple[str, ...], *, now: datetime) -> LinkUse | None:
        """Use a link once: its row is deleted; None when it is unknown, used or expired."""
        token_hash = _token_hash(token)
        with self.db.begin() as connection:
            row = connection.execute(
                sa.select(account_tokens).where(account_tokens.c.token_hash == token_hash)
            ).first()
            if row is None or row.purpose not in purposes or as_utc(row.expires_at) <= now:
                return None
            deleted = connection.execute(
                account_tokens.delete().where(account_tokens.c.token_hash == token_hash)
            ).rowcount
        if deleted != 1:
            return None  # another request used it first
        return LinkUse(int(row.user_id), str(row.purpose), str(row.email))

    def peek_link(self, token: str, purposes: tuple[str, ...], *, now: datetime) -> LinkUse | None:
        """What an unused, unexpired link is for, without using it."""
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(account_tokens).where(account_tokens.c.token_hash == _token_hash(token))
            ).first()
        if row is None or row.purpose not in purposes or as_utc(row.expires_at) <= now:
            return None
        return LinkUse(int(row.user_id), str(row.purpose), str(row.email))

    def forget_links(self, user_id: int, purpose: str) -> None:
        with self.db.begin() as connection:
            connection.execute(
                account_tokens.delete().where(
                    account_tokens.c.user_id == user_id, account_tokens.c.purpose == purpose
                )
            )

    # failed logins -----------------------------------------------------------------------------

    def record_failure(self, keys: list[str], *, now: datetime) -> None:
        with self.db.begin() as connection:
            connection.execute(login_failures.insert(), [{"key": k, "at": now} for k in keys])

    def failures_since(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures ``key`` had since ``since``, and the oldest of them."""
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(sa.func.count(), sa.func.min(login_failures.c.at)).where(
                    login_failures.c.key == key, login_failures.c.at >= since
                )
            ).one()
        return int(row[0]), row[1]

    def clear_failures(self, key: str, *, before: datetime | None = None) -> None:
        with self.db.begin() as connection:
            condition = login_failures.c.key == key
            if before is not None:
                condition = sa.or_(condition, login_failures.c.at < before)
            connection.execute(login_failures.delete().where(condition))
