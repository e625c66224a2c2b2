"""Accounts: sign up, log in (rate-limited), sessions, log out. Passwords are hashed with argon2,
in a bounded pool; the limits on sign-ups and logins are ``papersift.features.limits``'.

Error messages never reveal whether an email address has an account: a wrong address and a wrong
password give the same message, cost the same hashing time, and count towards the same limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from papersift.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
)
from papersift.features.limits import AbuseLimits
from papersift.features.passwords import check as check_password
from papersift.store.limits import LimitStore
from papersift.store.users import EmailTaken, User, UserStore

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
        limits: AbuseLimits | None = None,
        signups_per_hour: int = 5,
    ) -> None:
        self.users = users
        self.clock = clock
        self.session_lifetime = session_lifetime
        self.max_failures = max_failures
        self.hasher = hasher or PasswordHasher()
        self.on_sign_up = on_sign_up  # mails the verification link
        self.limits = limits or AbuseLimits(
            LimitStore(users.db),
            clock=clock,
            login_max_failures=max_failures,
            signups_per_hour=signups_per_hour,
        )
        self._dummy_hash = self.hasher.hash("papersift: equal work for unknown addresses")

    def start_session(self, user: User) -> str:
        """A new session for ``user`` (just signed up, or just authenticated)."""
        return self.users.start_session(user.id, now=self.clock(), lifetime=self.session_lifetime)

    def sign_up(
        self, email: str, password: str, display_name: str, *, client: str | None = None
    ) -> User:
        """A new account. ``client`` (the web's client address) counts towards the sign-up
        limits, before the password is hashed; the command line and tests leave it out."""
        email = normalise_email(email)
        name = " ".join(display_name.split())
        if not 1 <= len(name) <= 120:
            raise InvalidInputError("the display name must have 1 to 120 characters")
        check_password(password, email=email, display_name=name)
        if client is not None:
            self.limits.sign_up(client=client, email=email)
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

        Raises RateLimitedError, before any password is checked, when this client used up its
        tries for the address or for all addresses, or while the address's growing delay runs
        (``papersift.features.limits``); AuthenticationError (one message for every cause) when
        the credentials are wrong.
        """
        email = email.strip().lower()[:320]
        self.limits.login_attempt(client=client, email=email)
        user = self.users.by_email(email)
        verified = self._verify(user.password_hash if user else None, password)
        if user is None or not verified:
            self.limits.login_failed(email=email)
            raise AuthenticationError(_WRONG_CREDENTIALS)
        if self.hasher.check_needs_rehash(user.password_hash):
            self.users.set_password_hash(user.id, self.hasher.hash(password))
        self.limits.login_succeeded(client=client, email=email)
        return user, self.start_session(user)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash or self._dummy_hash, password[:MAX_PASSWORD])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def session_user(self, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        return self.users.session_user(token, now=self.clock())

    def log_out(self, token: str) -> None:
        self.users.end_session(token)
