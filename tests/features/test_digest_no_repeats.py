"""A digest never sends a reader a paper an earlier digest sent, or one they marked read: across
days, overlapping windows (a paper listed again), a weekly after dailies, and sections."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.settings import Settings
from papersift.store.users import User
from tests.conftest import make_paper

MONDAY = date(2026, 3, 16)
DAYS = [MONDAY - timedelta(days=n) for n in (4, 3, 2)]  # Thursday, Friday, Saturday


class Clock:
    now = datetime.combine(DAYS[0], time(7), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site(tmp_path: Path, clock: Clock) -> Iterator[Engine]:
    settings = Settings(
        data_dir=tmp_path / "data",
        embedder_backend="none",
        public_url="https://papers.example.org",
        mail_from="papersift <digest@papers.example.org>",
    )
    engine = Engine(settings, clock=clock)
    papers = [
        make_paper(f"2603.0{n:04d}", title=f"Study {n}", authors=("Ada Lovelace",), listed=day)
        for n, day in enumerate([*DAYS, *DAYS, MONDAY], start=1)
    ]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, papers)
    yield engine
    engine.close()


def reader(engine: Engine, frequency: str = "daily") -> User:
    user = engine.users.create("r@example.org", "Reader", "x", now=Clock.now, verified=True)
    engine.interest_store.follow(user.id, "author", "Ada Lovelace")
    engine.interest_store.subscribe(
        user.id, frequency, ["trending", "followed_authors"], now=Clock.now
    )
    return user


def run(engine: Engine, clock: Clock, day: date) -> list[str]:
    """Send the digests of ``day``; the paper ids each message links to, in order."""
    clock.now = datetime.combine(day, time(7), tzinfo=UTC)
    sent: list[EmailMessage] = []
    engine.digests.run(day, sent.append)
    ids: list[str] = []
    for message in sent:
        text = message.get_body(("plain",))
        assert text is not None
        ids += re.findall(r"/papers/(\d{4}\.\d{4,5})", text.get_content())
    return ids


def test_consecutive_dailies_a_relisted_paper_and_two_sections_never_repeat(
    site: Engine, clock: Clock
) -> None:
    user = reader(site)
    site.vote(user, "2603.00001", True)  # trending and by a followed author: two sections
    first = run(site, clock, DAYS[0])
    assert first.count("2603.00001") == 1 and "2603.00004" in first
    # a new version lists papers 1 and 4 again, inside the next day's window
    with site.db.begin() as connection:
        again = [site.paper(pid).with_changes(listed=DAYS[1], version=2)
                 for pid in ("2603.00001", "2603.00004")]  # fmt: skip
        site.papers.upsert(connection, again)
    second = run(site, clock, DAYS[1])
    assert second and not set(second) & set(first)
    site.reading.mark_read(user, "2603.00003")  # read before its digest
    third = run(site, clock, DAYS[2])
    assert "2603.00003" not in third
    everything = first + second + third
    assert len(everything) == len(set(everything))


def test_a_weekly_after_dailies_never_repeats(site: Engine, clock: Clock) -> None:
    user = reader(site)
    dailies = run(site, clock, DAYS[0]) + run(site, clock, DAYS[1])
    site.interest_store.subscribe(user.id, "weekly", ["trending", "followed_authors"], now=clock())
    with site.db.begin() as connection:  # the log forgets: a weekly looks 7 days back
        connection.exec_driver_sql("DELETE FROM digest_log")
    weekly = run(site, clock, MONDAY)
    assert dailies and weekly and not set(weekly) & set(dailies)
    assert "2603.00007" in weekly  # Monday's paper, new to the reader
