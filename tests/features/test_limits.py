"""Abuse limits: atomic counters in the store, login and sign-up limits, the bounded hasher."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from papersift.errors import AuthenticationError, RateLimitedError
from papersift.features.accounts import Accounts
from papersift.features.limits import AbuseLimits, BoundedHasher, client_key
from papersift.store.database import migrate, open_database
from papersift.store.limits import LimitStore
from papersift.store.users import UserStore
from tests.conftest import store_url

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 12, 0, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def database(tmp_path: Path, postgres_root: Path) -> Iterator[Any]:
    (tmp_path / "data").mkdir()
    engine = open_database(store_url(tmp_path / "data", postgres_root), pool_size=8)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_accounts(database: Any, clock: Clock) -> Callable[..., Accounts]:
    def make(hasher: PasswordHasher | None = None) -> Accounts:
        return Accounts(
            UserStore(database),
            clock=clock,
            session_lifetime=timedelta(days=1),
            max_failures=5,
            hasher=hasher or PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
            signups_per_hour=4,
        )

    return make


def parallel(count: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(i)`` for i in range(count) on as many threads, started together; each result or
    the exception it raised."""
    barrier = threading.Barrier(count)

    def run(number: int) -> Any:
        barrier.wait()
        try:
            return call(number)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_hits_are_counted_atomically(database: Any) -> None:
    store = LimitStore(database)
    counts = parallel(40, lambda _: store.hit("k", window_start=100.0, now=101.0))
    assert sorted(counts) == list(range(1, 41))  # every parallel hit saw a count of its own
    assert store.hit("k", window_start=200.0, now=201.0) == 1  # a new window starts at zero
    winners = parallel(20, lambda _: store.claim("k", seen_last_at=201.0, now=202.0))
    assert winners.count(True) == 1


def test_parallel_sign_ups_beyond_the_limit_are_refused(
    make_accounts: Callable[..., Accounts],
) -> None:
    accounts = make_accounts()
    results = parallel(
        40,
        lambda i: accounts.sign_up(f"user{i}@example.org", PASSWORD, "U", client="10.0.0.1"),
    )
    refused = [r for r in results if isinstance(r, RateLimitedError)]
    assert len(results) - len(refused) == 4, results  # signups_per_hour
    assert all(0 < r.retry_after <= 3600 for r in refused)
    # another client may still sign up; one address only three times an hour from anywhere
    accounts.sign_up("new@example.org", PASSWORD, "New", client="10.0.0.2")
    for number in range(2):
        with pytest.raises(Exception, match="cannot be created"):
            accounts.sign_up("new@example.org", PASSWORD, "N", client=f"10.0.1.{number}")
    with pytest.raises(RateLimitedError, match="this email address"):
        accounts.sign_up("new@example.org", PASSWORD, "N", client="10.0.2.1")


def test_parallel_wrong_logins_check_at_most_the_limit_and_spare_the_owner(
    make_accounts: Callable[..., Accounts],
) -> None:
    checked = 0
    lock = threading.Lock()

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            nonlocal checked
            with lock:
                checked += 1
            return super().verify(hash, password)

    accounts = make_accounts(CountingHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts.sign_up("owner@example.org", PASSWORD, "Owner")
    checked = 0
    results = parallel(
        40, lambda _: accounts.log_in("owner@example.org", "wrong guess", client="6.6.6.6")
    )
    wrong = [r for r in results if isinstance(r, AuthenticationError)]
    limited = [r for r in results if isinstance(r, RateLimitedError)]
    assert len(wrong) == checked == 5 and len(limited) == 35
    # the stranger's guesses used up only the stranger's tries: the owner logs in at once
    user, token = accounts.log_in("owner@example.org", PASSWORD, client="192.0.2.7")
    assert user.email == "owner@example.org" and token
    with pytest.raises(RateLimitedError, match="from your address"):
        accounts.log_in("owner@example.org", PASSWORD, client="6.6.6.6")


def test_many_clients_get_a_growing_delay_not_a_lock(
    make_accounts: Callable[..., Accounts], clock: Clock
) -> None:
    accounts = make_accounts()
    accounts.sign_up("owner@example.org", PASSWORD, "Owner")
    for number in range(10):  # twice the per-client limit, from ten clients
        with pytest.raises(AuthenticationError):
            accounts.log_in("owner@example.org", "wrong guess", client=f"10.1.0.{number}")
    delays = []
    for number in range(4):
        clock.now += timedelta(seconds=0.5)
        with pytest.raises(RateLimitedError) as refused:
            accounts.log_in("owner@example.org", PASSWORD, client="192.0.2.7")
        delays.append(refused.value.retry_after)
        clock.now += timedelta(seconds=refused.value.retry_after)
        with pytest.raises(AuthenticationError):  # one check per delay
            accounts.log_in("owner@example.org", "wrong guess", client=f"10.2.0.{number}")
    assert delays == sorted(delays) and delays[-1] > delays[0]  # growing
    assert max(delays) <= 5 * 60
    clock.now += timedelta(seconds=10 * 60)
    user, _ = accounts.log_in("owner@example.org", PASSWORD, client="192.0.2.7")
    assert user.email == "owner@example.org"  # never locked out


def test_the_hasher_runs_a_bounded_number_at_once() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    class Slow(BoundedHasher):
        pass

    hasher = Slow(2, time_cost=1, memory_cost=1024, parallelism=1)
    original = PasswordHasher.hash

    def hash_and_count(self: Any, password: str | bytes, *, salt: bytes | None = None) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            threading.Event().wait(0.05)
            return original(self, password, salt=salt)
        finally:
            with lock:
                running -= 1

    PasswordHasher.hash = hash_and_count  # type: ignore[method-assign]
    try:
        results = parallel(30, lambda _: hasher.hash("secret words"))
    finally:
        PasswordHasher.hash = original  # type: ignore[method-assign]
    assert most <= 2
    refused = [r for r in results if isinstance(r, RateLimitedError)]
    assert refused and all(r.retry_after > 0 for r in refused)  # 2 + 8 waiting at most
    assert len(results) - len(refused) >= 10


def test_limits_count_ipv6_clients_by_their_64() -> None:
    assert client_key("2001:db8:1:2:3:4:5:6") == client_key("2001:db8:1:2:ffff::1")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("testclient") == "testclient"


def test_email_requests_are_limited_per_client_and_address(database: Any, clock: Clock) -> None:
    limits = AbuseLimits(
        LimitStore(database), clock=clock, login_max_failures=5, signups_per_hour=5
    )
    for _ in range(3):
        limits.email(client="10.0.0.1", address="a@example.org")
    with pytest.raises(RateLimitedError, match="this address"):
        limits.email(client="10.0.0.2", address="a@example.org")
    for number in range(7):  # ten from one client an hour
        limits.email(client="10.0.0.1", address=f"b{number}@example.org")
    with pytest.raises(RateLimitedError, match="your address"):
        limits.email(client="10.0.0.1", address="c@example.org")
