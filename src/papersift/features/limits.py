"""Abuse limits: how often a client may sign up, try a password or make the site send email,
and a bounded pool for password hashing.

Every count lives in the store (``papersift.store.limits``) and is taken atomically *before*
the expensive work, so 40 parallel requests on any number of workers or machines cannot all
see room for one. Logins are limited per account-and-client (a stranger's guesses use up only
the stranger's own tries) and per client; the account as a whole gets a growing delay between
checks once many clients have failed against it, never a hard lock the owner cannot get past.

Password hashing (argon2id, 64 MiB a hash) runs in a bounded pool per process: at most
``workers`` hashes at once and a short queue; a burst beyond that is refused at once (429)
instead of taking the server's memory.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from argon2 import PasswordHasher

from papersift.errors import RateLimitedError
from papersift.store.limits import LimitStore

LOGIN_WINDOW = 15 * 60
PER_CLIENT_FACTOR = 4  # a client may fail this many times as often against all accounts together
# Failed checks against one account, from all clients together, before the account's growing
# delay starts (a multiple of the per-account-and-client limit: one client alone never starts
# it), and the longest delay between two checks of the account's password.
ACCOUNT_DELAY_FACTOR = 2
MAX_ACCOUNT_DELAY = 5 * 60
SIGNUP_WINDOW = 3600
SIGNUPS_PER_ADDRESS = 3  # attempts per email address an hour, from all clients together
EMAIL_WINDOW = 3600
EMAILS_PER_CLIENT = 10  # emails a client may make the site send an hour (reset, verification)
EMAILS_PER_ADDRESS = 3  # emails one address may receive an hour from such requests
HASH_QUEUE_FACTOR = 4  # hashes that may wait for the pool, per hashing worker
HASH_WAIT_SECONDS = 10.0
# argon2's parameters for new hashes (empty: argon2-cffi's defaults, RFC 9106's low-memory
# profile, argon2id with 64 MiB); tests make hashing cheap here.
HASH_PARAMETERS: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` hits of one subject in each ``window`` seconds."""

    name: str
    count: int
    window: int
    message: str


def client_key(address: str) -> str:
    """The address a client is counted under: IPv6 clients by their /64 (one host usually holds
    a whole /64), anything else as given."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class Limiter:
    """Counts hits per limit and subject in the store; refuses those over the limit."""

    def __init__(self, store: LimitStore, *, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._pruned_at = 0.0

    def now(self) -> float:
        return self.clock().timestamp()

    def hit(self, limit: Limit, subject: str, *, amount: int = 1) -> None:
        """Count one hit (``amount``: a negative one takes hits back); raises RateLimitedError
        when the count is over the limit (the hit still counts)."""
        now = self.now()
        start = math.floor(now / limit.window) * limit.window
        count = self.store.hit(
            f"{limit.name}:{subject}", window_start=start, now=now, amount=amount
        )
        if count > limit.count:
            raise RateLimitedError(limit.message, _wait(start + limit.window - now))
        if now - self._pruned_at > 3600:
            self._pruned_at = now
            self.store.prune(now=now)

    def reset(self, limit: Limit, subject: str) -> None:
        self.store.reset(f"{limit.name}:{subject}")


def _wait(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def _minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second(s)"
    return f"{math.ceil(seconds / 60)} minute(s)"


class AbuseLimits:
    """The limits of one deployment: signups, logins and emails."""

    def __init__(
        self,
        store: LimitStore,
        *,
        clock: Callable[[], datetime],
        login_max_failures: int,
        signups_per_hour: int,
    ) -> None:
        self.limiter = Limiter(store, clock=clock)
        self.store = store
        self.login_max_failures = login_max_failures
        self.login_pair = Limit(
            "login-pair",
            login_max_failures,
            LOGIN_WINDOW,
            "too many failed logins for this account from your address; try again later, or "
            "from another device",
        )
        self.login_client = Limit(
            "login-client",
            login_max_failures * PER_CLIENT_FACTOR,
            LOGIN_WINDOW,
            "too many failed logins from your address; try again later",
        )
        self.account_failures = Limit(
            "login-account", 10**9, LOGIN_WINDOW, "too many failed logins for this account"
        )
        self.signup_client = Limit(
            "signup-client",
            signups_per_hour,
            SIGNUP_WINDOW,
            "too many sign-ups from your address; try again later",
        )
        self.signup_address = Limit(
            "signup-address",
            SIGNUPS_PER_ADDRESS,
            SIGNUP_WINDOW,
            "too many sign-ups with this email address; try again later",
        )
        self.email_client = Limit(
            "email-client",
            EMAILS_PER_CLIENT,
            EMAIL_WINDOW,
            "too many emails requested from your address; try again later",
        )
        self.email_address = Limit(
            "email-address",
            EMAILS_PER_ADDRESS,
            EMAIL_WINDOW,
            "too many emails requested for this address; check your inbox, or try again later",
        )

    # sign-ups ----------------------------------------------------------------------------------

    def sign_up(self, *, client: str, email: str) -> None:
        """Count a sign-up attempt before its password is hashed."""
        self.limiter.hit(self.signup_client, client_key(client))
        self.limiter.hit(self.signup_address, email)

    # emails ------------------------------------------------------------------------------------

    def email(self, *, client: str, address: str) -> None:
        """Count a request that makes the site send an email to ``address`` (a password reset,
        a verification link) before it is sent."""
        self.limiter.hit(self.email_client, client_key(client))
        self.limiter.hit(self.email_address, address)

    # logins ------------------------------------------------------------------------------------

    def login_attempt(self, *, client: str, email: str) -> None:
        """Count a login attempt before its password is checked; refuses it (429) when this
        client used up its tries for this account or for all accounts, or when the account's
        growing delay since its latest failed check has not passed."""
        client = client_key(client)
        self.limiter.hit(self.login_pair, f"{email}|{client}")
        self.limiter.hit(self.login_client, client)
        self._account_delay(email)

    def login_failed(self, *, email: str) -> None:
        now = self.limiter.now()
        window = self.account_failures.window
        start = math.floor(now / window) * window
        self.store.hit(f"{self.account_failures.name}:{email}", window_start=start, now=now)

    def login_succeeded(self, *, client: str, email: str) -> None:
        """A right password: this client's tries for the address start again, and the attempt
        does not count against the client (many people may share one address)."""
        client = client_key(client)
        self.limiter.reset(self.login_pair, f"{email}|{client}")
        self.limiter.hit(self.login_client, client, amount=-1)

    def account_delay(self, failures: int) -> int:
        """Seconds between two checks of an account's password after ``failures`` failed
        checks in the window (0: no delay)."""
        threshold = self.login_max_failures * ACCOUNT_DELAY_FACTOR
        if failures < threshold:
            return 0
        return int(min(2 ** (failures - threshold), MAX_ACCOUNT_DELAY))

    def _account_delay(self, email: str) -> None:
        now = self.limiter.now()
        window = self.account_failures.window
        start = math.floor(now / window) * window
        key = f"{self.account_failures.name}:{email}"
        counter = self.store.get(key, window_start=start)
        if counter is None:
            return
        delay = self.account_delay(counter.count)
        if delay == 0:
            return
        wait = counter.last_at + delay - now
        # One check per delay: of parallel attempts that saw the same latest check, one wins.
        if wait > 0 or not self.store.claim(key, seen_last_at=counter.last_at, now=now):
            seconds = _wait(wait if wait > 0 else delay)
            raise RateLimitedError(
                f"this account had many failed logins; try again in {_minutes(seconds)}", seconds
            )


class BoundedHasher(PasswordHasher):
    """argon2's PasswordHasher whose hashing and checking run at most ``workers`` at a time in
    this process, with at most ``workers * HASH_QUEUE_FACTOR`` waiting; more are refused (429)."""

    def __init__(self, workers: int, **parameters: Any) -> None:
        super().__init__(**(parameters or HASH_PARAMETERS))
        self.workers = workers
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._waiting = 0
        self._max_waiting = workers * HASH_QUEUE_FACTOR

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with self._slot():
            return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._slot():
            return super().verify(hash, password)

    def _slot(self) -> _Slot:
        return _Slot(self)


class _Slot:
    def __init__(self, hasher: BoundedHasher) -> None:
        self.hasher = hasher

    def __enter__(self) -> None:
        hasher = self.hasher
        with hasher._lock:
            if hasher._waiting >= hasher._max_waiting + hasher.workers:
                raise RateLimitedError("the server is busy; try again in a few seconds", 2)
            hasher._waiting += 1
        try:
            acquired = hasher._slots.acquire(timeout=HASH_WAIT_SECONDS)
        except BaseException:
            self._leave()
            raise
        if not acquired:
            self._leave()
            raise RateLimitedError("the server is busy; try again in a few seconds", 2)

    def __exit__(self, *exc: object) -> None:
        self.hasher._slots.release()
        self._leave()

    def _leave(self) -> None:
        with self.hasher._lock:
            self.hasher._waiting -= 1
