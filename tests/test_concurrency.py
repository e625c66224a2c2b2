"""Several processes sharing one store, as several ``papersift serve`` workers and digest runs on
other machines do (the data directory's run lock does not keep those apart): parallel upvotes end
with exact counts, and digest runs racing for the same day never send a digest twice.

Each worker is a process of its own ('spawn': a fresh interpreter, its own engine and database
connections) that receives the store's URL; a barrier starts them together.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trustme

from papersift.engine import Engine
from papersift.features.mailer import SMTPMailer
from papersift.settings import Settings
from papersift.store.counters import COMMUNITY_REV, current
from papersift.store.digests import DigestLog
from tests.conftest import make_paper
from tests.smtp_server import SMTPTestServer

SPAWN = multiprocessing.get_context("spawn")
DAY = date(2026, 3, 12)  # a Thursday
NOW = datetime(2026, 3, 12, 7, 0, tzinfo=UTC)
PAPERS = ("2503.00001", "2503.00002", "2503.00003")
WORKERS = 4
USERS_PER_WORKER = 25
SHARED_USERS = 5  # every worker votes (and un-votes) as these users at once
DIGEST_RUNS = 3
SUBSCRIBERS = 12
# Only a guard against a hung process, not a timing check: each spawned process imports
# papersift and opens its engine, which takes minutes on a loaded two-core machine.
TIMEOUT = 600.0


def _clock() -> datetime:
    return NOW


# running workers in processes ----------------------------------------------------------------


def _worker(job: Callable[..., Any], barrier: Any, results: Any, index: int, *args: Any) -> None:
    try:
        results.put((index, "ok", job(barrier, *args)))
    except BaseException:
        barrier.abort()  # the others stop waiting for this one
        results.put((index, "error", traceback.format_exc()))


def _in_processes(job: Callable[..., Any], arguments: list[tuple[Any, ...]]) -> list[Any]:
    """``job(barrier, *args)`` for each ``args``, each in a process of its own; their results."""
    barrier = SPAWN.Barrier(len(arguments))
    results = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=_worker, args=(job, barrier, results, index, *args))
        for index, args in enumerate(arguments)
    ]
    for process in processes:
        process.start()
    count = len(processes)
    try:
        answers = {index: (status, value) for index, status, value in _collect(results, count)}
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    errors = [value for status, value in answers.values() if status == "error"]
    assert not errors, "\n".join(errors)
    return [answers[index][1] for index in range(len(processes))]


def _collect(results: Any, count: int) -> Iterator[tuple[int, str, Any]]:
    for _ in range(count):
        yield results.get(timeout=TIMEOUT)


# parallel upvotes ------------------------------------------------------------------------------


def _plan(worker: int) -> list[tuple[int, str, bool]]:
    """(user number, paper, voted) in the order the worker sets them.

    Each worker votes for its own 25 users on every paper; some users un-vote and vote again, some
    un-vote for good, some vote twice. Every worker also votes as the same shared users, who
    end up having voted for the first two papers whatever the interleaving.
    """
    own = range(
        SHARED_USERS + worker * USERS_PER_WORKER, SHARED_USERS + (worker + 1) * USERS_PER_WORKER
    )
    plan = []
    for user in own:
        plan += [(user, paper, True) for paper in PAPERS]
        if user % 3 == 0:
            plan += [(user, PAPERS[0], False), (user, PAPERS[0], True)]
        if user % 4 == 1:
            plan += [(user, PAPERS[1], False)]
        if user % 5 == 2:
            plan += [(user, PAPERS[2], True)]
        shared = user % SHARED_USERS
        plan += [(shared, PAPERS[0], True), (shared, PAPERS[1], True)]
        plan += [(shared, PAPERS[2], True), (shared, PAPERS[2], False)]  # ends un-voted
    return plan


def _expected_counts() -> dict[str, int]:
    final: dict[tuple[int, str], bool] = {}
    for worker in range(WORKERS):
        for user, paper, voted in _plan(worker):
            if user >= SHARED_USERS:  # a shared user's last word depends on the interleaving
                final[(user, paper)] = voted
    for user in range(SHARED_USERS):
        final[(user, PAPERS[0])] = final[(user, PAPERS[1])] = True
        final[(user, PAPERS[2])] = False  # every worker's last word for them on it
    counts = Counter(paper for (_, paper), voted in final.items() if voted)
    return {paper: counts[paper] for paper in PAPERS}


def _vote(barrier: Any, settings: dict[str, Any], user_ids: list[int], worker: int) -> int:
    engine = Engine(Settings(**settings), clock=_clock)
    try:
        users = {number: engine.users.by_id(user_id) for number, user_id in enumerate(user_ids)}
        barrier.wait(TIMEOUT)
        for number, paper, voted in _plan(worker):
            user = users[number]
            assert user is not None
            count = engine.vote(user, paper, voted)  # what the web's upvote button calls
            assert 0 <= count <= len(user_ids)
        return len(_plan(worker))
    finally:
        engine.close()


@pytest.mark.slow
def test_parallel_upvotes_from_several_processes_end_with_exact_counts(
    settings: Settings,
) -> None:
    engine = Engine(settings, clock=_clock)
    try:
        with engine.db.begin() as connection:
            engine.papers.upsert(connection, [make_paper(p, listed=DAY) for p in PAPERS])
        users = [
            engine.users.create(f"voter{n}@example.org", f"Voter {n}", "x", now=NOW)
            for n in range(SHARED_USERS + WORKERS * USERS_PER_WORKER)
        ]
        user_ids = [user.id for user in users]
        plain: dict[str, Any] = {
            "data_dir": str(settings.data_dir),
            "database_url": settings.database_url,
            "embedder_backend": "none",
        }
        calls = _in_processes(_vote, [(plain, user_ids, worker) for worker in range(WORKERS)])

        expected = _expected_counts()
        assert expected == {PAPERS[0]: 105, PAPERS[1]: 80, PAPERS[2]: 100}
        assert engine.votes.counts(list(PAPERS)) == expected
        assert {t.paper.id: t.upvotes for t in engine.trending()} == expected
        for paper in PAPERS:  # a no-op vote answers the count, as the web does after a click
            assert engine.vote(users[0], paper, paper != PAPERS[2]) == expected[paper]
        assert engine.votes.voted_by(users[1].id, list(PAPERS)) == {PAPERS[0], PAPERS[1]}
        with engine.db.connect() as connection:  # every vote bumped the counter once
            bumps = connection.execute(sa.select(current(COMMUNITY_REV))).scalar_one()
        assert bumps == sum(calls) + len(PAPERS)
    finally:
        engine.close()


# racing digest runs ----------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer(trustme.CA()) as server:
        yield server


def _digest(barrier: Any, settings: dict[str, Any]) -> tuple[int, int, int]:
    engine = Engine(Settings(**settings), clock=_clock)
    try:
        shared = engine.digests.prepare(DAY)  # warm up: the runs race for the log, not imports
        assert shared.listed
        with SMTPMailer.from_settings(engine.settings).session() as session:
            barrier.wait(TIMEOUT)
            report = engine.digests.run(DAY, session.send)
        return report.sent, report.already_done, report.failed
    finally:
        engine.close()


@pytest.mark.slow
def test_digest_runs_racing_from_several_processes_send_each_digest_once(
    tmp_path: Path, store_database: str, smtp: SMTPTestServer
) -> None:
    plain: dict[str, Any] = {
        "data_dir": str(tmp_path / "data"),
        "database_url": store_database,
        "embedder_backend": "none",
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_tls_verify": False,
        "public_url": "https://papers.example.org",
        "mail_from": "papersift <digest@papers.example.org>",
        "secret_key": "k" * 40,
    }
    engine = Engine(Settings(**plain), clock=_clock)
    try:
        with engine.db.begin() as connection:
            engine.papers.upsert(connection, [make_paper(p, listed=DAY) for p in PAPERS])
        users = [
            engine.users.create(
                f"reader{n}@example.org", f"Reader {n}", "x", now=NOW, verified=True
            )
            for n in range(SUBSCRIBERS)
        ]
        engine.vote(users[0], PAPERS[1], True)  # a trending paper: no digest is empty
        for user in users:
            engine.interest_store.subscribe(user.id, "daily", ["trending"], now=NOW)

        reports = _in_processes(_digest, [(plain,)] * DIGEST_RUNS)

        per_reader = Counter(r.rcpt_tos[0] for r in smtp.received)
        assert per_reader == {user.email: 1 for user in users}
        assert Counter(r.message["Message-ID"] for r in smtp.received).most_common(1)[0][1] == 1
        sent, already_done, failed = (sum(column) for column in zip(*reports, strict=True))
        assert (sent, already_done, failed) == (SUBSCRIBERS, (DIGEST_RUNS - 1) * SUBSCRIBERS, 0)
        for user in users:
            entry = engine.digests.log.entry(user.id, DAY)
            assert entry is not None and entry.status == "sent"
            assert entry.message_id == engine.digests.message_id(user.id, DAY)
    finally:
        engine.close()


# the claim's lease -----------------------------------------------------------------------------


def test_a_claim_is_taken_once_until_its_lease_runs_out(engine: Engine) -> None:
    user = engine.users.create("reader@example.org", "Reader", "x", now=NOW)
    log = DigestLog(engine.db, claim_lease=timedelta(minutes=15))
    first, later = "<digest-1@example.org>", "<digest-2@example.org>"

    assert log.claim(user.id, DAY, first, now=NOW)  # no row yet
    for age in (timedelta(0), timedelta(minutes=1), timedelta(minutes=15)):
        assert not log.claim(user.id, DAY, later, now=NOW + age)  # a live run may be sending
    entry = log.entry(user.id, DAY)
    assert entry is not None and (entry.status, entry.message_id) == ("sending", first)
    assert entry.updated_at == NOW

    stale = NOW + timedelta(minutes=16)  # the run that claimed it crashed: claim it again
    assert log.claim(user.id, DAY, first, now=stale)
    assert not log.claim(user.id, DAY, first, now=stale + timedelta(minutes=1))
    entry = log.entry(user.id, DAY)
    assert entry is not None and (entry.status, entry.updated_at) == ("sending", stale)

    log.mark(user.id, DAY, "failed", first, now=stale)  # the SMTP server refused it
    assert log.claim(user.id, DAY, first, now=stale)  # a failed digest is retried at once
    log.mark(user.id, DAY, "sent", first, now=stale)
    for age in (timedelta(0), timedelta(days=365)):
        assert not log.claim(user.id, DAY, first, now=stale + age)
    log.mark(user.id, DAY, "empty", None, now=stale)  # a late run's verdict: sent stays sent
    entry = log.entry(user.id, DAY)
    assert entry is not None and (entry.status, entry.message_id) == ("sent", first)

    other_day = DAY + timedelta(days=1)
    log.mark(user.id, other_day, "empty", None, now=stale)
    assert not log.claim(user.id, other_day, first, now=stale + timedelta(days=1))
