"""Accounts: sign up, log in (rate-limited), sessions, log out. Passwords are hashed with argon2.

Error messages never reveal whether an email address has an account: a wrong address and a wrong
password give the same message, cost the same hashing time, and count towards the same limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from papersift.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    RateLimitedError,
)
from papersift.features.passwords import check as check_password
from papersift.store.users import EmailTaken, User, UserStore

FAILURE_WINDOW = timedelta(minutes=15)
PER_CLIENT_FACTOR = 4  # a client address may fail this many times as often as one email address
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_WRONG_CREDENTIALS = "incorrect email address or password"


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidInputError("enter a valid email address")
    return email


class Accounts:
    def __init__(
        self,
        users: UserStore,
        *,
        clock: Callable[[], datetime],
        session_lifetime: timedelta,
        max_failures: int,
        hasher: PasswordHasher | None = None,
        on_sign_up: Callable[[User], None] = lambda _user: None,
    ) -> None:
        self.users = users
        self.clock = clock
        self.session_lifetime = session_lifetime
        self.max_failures = max_failures
        self.hasher = hasher or PasswordHasher()
        self.on_sign_up = on_sign_up  # mails the verification link
        self._dummy_hash = self.hasher.hash("papersift: equal work for unknown addresses")

    def start_session(self, user: User) -> str:
        """A new session for ``user`` (just signed up, or just authenticated)."""
        return self.users.start_session(user.id, now=self.clock(), lifetime=self.session_lifetime)

    def sign_up(self, email: str, password: str, display_name: str) -> User:
        email = normalise_email(email)
        name = " ".join(display_name.split())
        if not 1 <= len(name) <= 120:
            raise InvalidInputError("the display name must have 1 to 120 characters")
        check_password(password, email=email, display_name=name)
        try:
            user = self.users.create(email, name, self.hasher.hash(password), now=self.clock())
        except EmailTaken:
            raise ConflictError(
                "an account cannot be created with this email address; log in instead"
            ) from None
        self.on_sign_up(user)
        return user

    def log_in(self, email: str, password: str, *, client: str) -> tuple[User, str]:
        """Check the credentials; returns the user and a new session token.

        Raises RateLimitedError after too many recent failures for the address or the client, and
        AuthenticationError (one message for every cause) when the credentials are wrong.
        """
        email = email.strip().lower()[:320]
        now = self.clock()
        keys = [f"email:{email}", f"client:{client}"]
        self._check_rate(keys[0], self.max_failures, now)
        self._check_rate(keys[1], self.max_failures * PER_CLIENT_FACTOR, now)
        user = self.users.by_email(email)
        verified = self._verify(user.password_hash if user else None, password)
        if user is None or not verified:
            self.users.record_failure(keys, now=now)
            raise AuthenticationError(_WRONG_CREDENTIALS)
        if self.hasher.check_needs_rehash(user.password_hash):
            self.users.set_password_hash(user.id, self.hasher.hash(password))
        self.users.clear_failures(keys[0], before=now - FAILURE_WINDOW)
        return user, self.start_session(user)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash or self._dummy_hash, password[:MAX_PASSWORD])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _check_rate(self, key: str, limit: int, now: datetime) -> None:
        failures, oldest = self.users.failures_since(key, now - FAILURE_WINDOW)
        if failures < limit or oldest is None:
            return
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        wait = max(1, math.ceil((oldest + FAILURE_WINDOW - now).total_seconds()))
        raise RateLimitedError(
            f"too many failed logins; try again in {math.ceil(wait / 60)} minute(s)", wait
        )

    def session_user(self, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        return self.users.session_user(token, now=self.clock())

    def log_out(self, token: str) -> None:
        self.users.end_session(token)
