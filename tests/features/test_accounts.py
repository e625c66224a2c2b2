from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from papersift.engine import Engine
from papersift.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    RateLimitedError,
)
from papersift.features.accounts import Accounts
from papersift.store.users import UserStore


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(engine: Engine, clock: Clock) -> Accounts:
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return Accounts(
        UserStore(engine.db),
        clock=clock,
        session_lifetime=timedelta(days=1),
        max_failures=3,
        hasher=fast,
    )


def test_sign_up_log_in_and_sessions(accounts: Accounts, clock: Clock) -> None:
    user = accounts.sign_up(" Ada@Example.org ", "correct horse", "  Ada   Lovelace ")
    assert (user.email, user.display_name) == ("ada@example.org", "Ada Lovelace")
    assert user.password_hash.startswith("$argon2")
    logged_in, token = accounts.log_in("ADA@example.org", "correct horse", client="1.2.3.4")
    assert logged_in.id == user.id
    assert accounts.session_user(token) == user
    clock.now += timedelta(days=2)
    assert accounts.session_user(token) is None  # expired
    _, token = accounts.log_in("ada@example.org", "correct horse", client="1.2.3.4")
    accounts.log_out(token)
    assert accounts.session_user(token) is None


def test_bad_sign_ups(accounts: Accounts) -> None:
    accounts.sign_up("ada@example.org", "correct horse", "Ada")
    with pytest.raises(ConflictError):
        accounts.sign_up("ADA@example.org", "another one", "Ada 2")
    with pytest.raises(InvalidInputError, match="email"):
        accounts.sign_up("not-an-email", "correct horse", "X")
    with pytest.raises(InvalidInputError, match="password"):
        accounts.sign_up("b@example.org", "short", "X")
    with pytest.raises(InvalidInputError, match="name"):
        accounts.sign_up("b@example.org", "long enough", "   ")


def test_unknown_email_and_wrong_password_look_the_same(accounts: Accounts) -> None:
    accounts.sign_up("ada@example.org", "correct horse", "Ada")
    with pytest.raises(AuthenticationError) as wrong_password:
        accounts.log_in("ada@example.org", "wrong", client="c")
    with pytest.raises(AuthenticationError) as unknown:
        accounts.log_in("nobody@example.org", "wrong", client="c")
    assert str(wrong_password.value) == str(unknown.value)


def test_failed_logins_are_rate_limited_per_address(accounts: Accounts, clock: Clock) -> None:
    accounts.sign_up("ada@example.org", "correct horse", "Ada")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            accounts.log_in("ada@example.org", "wrong", client="c")
    with pytest.raises(RateLimitedError) as limited:
        accounts.log_in("ada@example.org", "correct horse", client="c")
    assert 0 < limited.value.retry_after <= 15 * 60
    # The same limit applies to an address without an account: no enumeration through it.
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            accounts.log_in("nobody@example.org", "wrong", client="d")
    with pytest.raises(RateLimitedError):
        accounts.log_in("nobody@example.org", "wrong", client="d")
    clock.now += timedelta(minutes=16)
    user, _ = accounts.log_in("ada@example.org", "correct horse", client="c")
    assert user.email == "ada@example.org"


def test_one_client_cannot_try_many_addresses(accounts: Accounts) -> None:
    for number in range(12):  # 3 failures x 4 per client
        with pytest.raises(AuthenticationError):
            accounts.log_in(f"user{number}@example.org", "wrong", client="attacker")
    with pytest.raises(RateLimitedError):
        accounts.log_in("fresh@example.org", "wrong", client="attacker")
