"""The digest end to end: composition, a real SMTP server, re-runs, failures and a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from papersift.engine import Engine
from papersift.features.mailer import SMTPMailer
from papersift.features.tokens import read_token
from papersift.settings import Settings
from papersift.store.digests import CLAIM_LEASE
from papersift.store.schema import digest_log
from tests.conftest import make_paper
from tests.smtp_server import SMTPTestServer

DAY = date(2026, 3, 12)  # a Thursday
NOW = datetime(2026, 3, 12, 7, 0, tzinfo=UTC)
SUBSCRIBERS = 8


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer(trustme.CA(), username="mailer", password="secret") as server:
        yield server


@pytest.fixture
def mail_settings(tmp_path: Path, smtp: SMTPTestServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        embedder_backend="none",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_username="mailer",
        smtp_password="secret",
        smtp_tls_verify=False,
        public_url="https://papers.example.org",
        mail_from="papersift <digest@papers.example.org>",
        secret_key="k" * 40,
    )


@pytest.fixture
def site(mail_settings: Settings) -> Iterator[Engine]:
    engine = Engine(mail_settings, clock=lambda: NOW)
    papers = [
        make_paper("2503.00001", title="Diffusion models", listed=DAY, authors=("Ada Lovelace",)),
        make_paper("2503.00002", title="Graph transformers", listed=DAY, authors=("Bo Li",)),
        make_paper("2503.00003", title="Yesterday's paper", listed=date(2026, 3, 11)),
    ]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, papers)
    engine.index(semantic=False)
    users = [
        engine.users.create(f"reader{n}@example.org", f"Reader {n}", "x", now=NOW, verified=True)
        for n in range(SUBSCRIBERS)
    ]
    engine.vote(users[0], "2503.00002", True)
    for user in users:
        engine.interest_store.subscribe(
            user.id, "daily", ["trending", "for_you", "saved_searches", "followed_authors"], now=NOW
        )
    engine.interest_store.follow(users[1].id, "author", "Ada Lovelace")
    yield engine
    engine.close()


def _cli_env(settings: Settings, smtp: SMTPTestServer) -> dict[str, str]:
    """The environment of a ``papersift`` subprocess using the fixtures' store and mail server."""
    env = {
        **os.environ,
        "PAPERSIFT_DATA_DIR": str(settings.data_dir),
        "PAPERSIFT_EMBEDDER_BACKEND": "none",
        "PAPERSIFT_SMTP_HOST": smtp.host,
        "PAPERSIFT_SMTP_PORT": str(smtp.port),
        "PAPERSIFT_SMTP_USERNAME": "mailer",
        "PAPERSIFT_SMTP_PASSWORD": "secret",
        "PAPERSIFT_SMTP_TLS_VERIFY": "false",
        "PAPERSIFT_PUBLIC_URL": "https://papers.example.org",
        "PAPERSIFT_MAIL_FROM": "papersift <digest@papers.example.org>",
        "PAPERSIFT_SECRET_KEY": "k" * 40,
    }
    env.pop("PAPERSIFT_DATABASE_URL", None)
    return env


def _send(engine: Engine, day: date = DAY) -> object:
    with SMTPMailer.from_settings(engine.settings).session() as session:
        return engine.digests.run(day, session.send)


def test_one_multipart_digest_per_subscriber_with_its_sections(
    site: Engine, smtp: SMTPTestServer
) -> None:
    report = _send(site)
    assert (report.sent, report.failed) == (SUBSCRIBERS, 0)  # type: ignore[attr-defined]
    by_recipient = {r.rcpt_tos[0]: r.message for r in smtp.received}
    assert len(by_recipient) == SUBSCRIBERS
    message = by_recipient["reader1@example.org"]
    assert message.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in message.iter_parts())
    assert "TRENDING" in text and "Graph transformers" in text and "1 upvote" in text
    # Ada's paper is For you because reader1 follows her; a paper is sent once per digest, so
    # the followed-authors section (later in the email) does not repeat it.
    assert "FOR YOU" in text and "By Ada Lovelace, whom you follow" in text
    assert text.count("Diffusion models") == 1 and "AUTHORS YOU FOLLOW" not in text
    assert "Yesterday's paper" not in text  # only what is new since the last digest
    assert "Graph transformers" in html and "https://papers.example.org/papers/2503.00002" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = message["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    assert read_token(site.secret_key(), "unsubscribe", token) == 2  # reader1 has user id 2


def test_a_rerun_sends_nothing_and_nothing_new_sends_no_email(
    site: Engine, smtp: SMTPTestServer
) -> None:
    _send(site)
    again = _send(site)
    assert again.already_done == SUBSCRIBERS and len(smtp.received) == SUBSCRIBERS  # type: ignore[attr-defined]
    next_day = _send(site, date(2026, 3, 13))  # Friday: nothing was listed
    assert next_day.empty == SUBSCRIBERS and len(smtp.received) == SUBSCRIBERS  # type: ignore[attr-defined]


def test_smtp_failures_are_retried_by_the_next_run_without_duplicates(
    site: Engine, smtp: SMTPTestServer
) -> None:
    smtp.fail_next(2, "451")
    first = _send(site)
    assert (first.sent, first.failed) == (SUBSCRIBERS - 2, 2)  # type: ignore[attr-defined]
    second = _send(site)
    assert (second.sent, second.already_done) == (2, SUBSCRIBERS - 2)  # type: ignore[attr-defined]
    assert Counter(r.rcpt_tos[0] for r in smtp.received) == {
        f"reader{n}@example.org": 1 for n in range(SUBSCRIBERS)
    }


@pytest.mark.slow
def test_a_run_killed_mid_way_is_completed_by_the_next_without_duplicates(
    site: Engine, smtp: SMTPTestServer, mail_settings: Settings
) -> None:
    env = _cli_env(mail_settings, smtp)
    command = [sys.executable, "-m", "papersift", "digest", "--date", DAY.isoformat()]
    smtp.hold_after(3)
    run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert smtp.holding.wait(60), "the digest run never reached its fourth message"
        run.send_signal(signal.SIGKILL)
        run.wait(30)
    finally:
        smtp.release()
    assert len(smtp.received) == 3
    with site.db.begin() as connection:  # later: the killed run's claim is past its lease
        aged = connection.execute(
            digest_log.update()
            .where(digest_log.c.status == "sending")
            .values(updated_at=datetime.now(UTC) - CLAIM_LEASE - timedelta(minutes=1))
        ).rowcount
    assert aged == 1
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert "5 sent" in finished.stdout and "3 already done" in finished.stdout
    per_reader = Counter(r.rcpt_tos[0] for r in smtp.received)
    assert per_reader == {f"reader{n}@example.org": 1 for n in range(SUBSCRIBERS)}
    assert len({r.message["Message-ID"] for r in smtp.received}) == SUBSCRIBERS


def test_a_second_run_while_one_holds_the_lock_exits_75(mail_settings: Settings) -> None:
    from papersift.runlock import run_lock

    env = {**os.environ, "PAPERSIFT_DATA_DIR": str(mail_settings.data_dir)}
    env.pop("PAPERSIFT_DATABASE_URL", None)
    with run_lock(mail_settings.data_dir / "daily.lock"):
        result = subprocess.run(
            [sys.executable, "-m", "papersift", "daily", "--no-harvest", "--dry-run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 75 and "in progress" in result.stderr


def test_the_emails_one_click_unsubscribe_stops_the_next_digests(
    site: Engine, smtp: SMTPTestServer
) -> None:
    from fastapi.testclient import TestClient

    from papersift.web.app import create_app

    _send(site)
    message = next(r.message for r in smtp.received if r.rcpt_tos[0] == "reader3@example.org")
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://papers.example.org/unsubscribe/")
    with TestClient(create_app(site), base_url="https://papers.example.org") as client:
        assert client.get(link).status_code == 200  # a confirmation page: GET changes nothing
        subscription = site.interest_store.subscription(4)
        assert subscription is not None and subscription.frequency == "daily"
        form = {"content-type": "application/x-www-form-urlencoded"}
        answer = client.post(link, content=b"List-Unsubscribe=One-Click", headers=form)
        assert answer.status_code == 200
    subscription = site.interest_store.subscription(4)
    assert subscription is not None and subscription.frequency == "off"
    with site.db.begin() as connection:  # a new day with news for everyone
        site.papers.upsert(connection, [make_paper("2503.00009", listed=date(2026, 3, 13))])
    site.vote(site.users.by_email("reader0@example.org"), "2503.00009", True)  # type: ignore[arg-type]
    before = len(smtp.received)
    report = _send(site, date(2026, 3, 13))
    assert report.sent == SUBSCRIBERS - 1  # type: ignore[attr-defined]
    recipients = {r.rcpt_tos[0] for r in smtp.received[before:]}
    assert "reader3@example.org" not in recipients and len(recipients) == SUBSCRIBERS - 1


def test_the_daily_job_runs_alerts_and_the_digest(
    site: Engine, smtp: SMTPTestServer, mail_settings: Settings
) -> None:
    env = _cli_env(mail_settings, smtp)
    command = [sys.executable, "-m", "papersift", "daily", "--no-harvest", "--date", "2026-03-12"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "alerts: 0 saved searches" in result.stderr
    assert f"{SUBSCRIBERS} sent" in result.stdout and len(smtp.received) == SUBSCRIBERS
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and f"{SUBSCRIBERS} already done" in again.stdout
    assert len(smtp.received) == SUBSCRIBERS


def test_the_daily_job_harvests_then_alerts_from_the_new_papers(
    site: Engine, smtp: SMTPTestServer, mail_settings: Settings
) -> None:
    from papersift.features.alerts import filters_to_json
    from papersift.filters import Filters
    from tests.oai_server import serve
    from tests.test_harvest import by_token, synthetic_pages

    reader = site.users.by_email("reader2@example.org")
    assert reader is not None
    search = site.interest_store.save_search(
        reader.id, name="synthetic", query="synthetic record", mode="bm25",
        filters=filters_to_json(Filters()), checked_rev=site.papers.max_rev(), now=NOW,
    )  # fmt: skip
    ids = ["2403.00101", "2403.00102"]
    with serve(by_token(synthetic_pages(ids))) as server:
        env = {
            **_cli_env(mail_settings, smtp),
            "PAPERSIFT_OAI_ENDPOINT": server.url,
            "PAPERSIFT_HARVEST_DELAY": "0",
            "PAPERSIFT_DAILY_SETS": "cs",
        }
        command = [sys.executable, "-m", "papersift", "daily", "--date", DAY.isoformat()]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    first = server.requests[0]
    assert (first["verb"], first["set"], first["from"], first["until"]) == (
        "ListRecords", "cs", "2026-03-09", "2026-03-12",
    )  # fmt: skip
    assert all(site.papers.get(paper_id) for paper_id in ids)
    assert sorted(p for p, _ in site.interest_store.matches(search.id)) == ids
    assert "alerts: 1 saved searches, 2 new matches" in result.stderr
    mail = next(r.message for r in smtp.received if r.rcpt_tos[0] == "reader2@example.org")
    assert "Matches your saved search “synthetic”" in mail.get_body(("plain",)).get_content()


def test_the_daily_job_fails_with_exit_1_when_the_harvest_fails(
    site: Engine, smtp: SMTPTestServer, mail_settings: Settings
) -> None:
    from tests.oai_server import Reply, serve

    with serve(lambda query: Reply(status=500, body=b"down")) as server:
        env = {
            **_cli_env(mail_settings, smtp),
            "PAPERSIFT_OAI_ENDPOINT": server.url,
            "PAPERSIFT_HARVEST_DELAY": "0",
            "PAPERSIFT_HARVEST_MAX_RETRIES": "0",
        }
        command = [sys.executable, "-m", "papersift", "daily", "--date", DAY.isoformat()]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert smtp.received == []  # later steps are skipped


# verified addresses and local settings ---------------------------------------------------------


def test_a_subscribed_unverified_address_receives_no_digest(
    site: Engine, smtp: SMTPTestServer
) -> None:
    stranger = site.users.create("not-yet@example.org", "Not Yet", "x", now=NOW)
    assert not stranger.verified
    site.interest_store.subscribe(stranger.id, "daily", ["trending"], now=NOW)

    report = _send(site)
    assert report.sent == SUBSCRIBERS and report.unverified == 1  # type: ignore[attr-defined]
    assert "not-yet@example.org" not in {r.rcpt_tos[0] for r in smtp.received}
    assert site.digests.log.entry(stranger.id, DAY) is None  # nothing claimed or logged

    assert site.users.mark_verified(stranger.id, stranger.email, now=NOW)  # opened the link
    again = _send(site)
    assert again.sent == 1 and again.unverified == 0  # type: ignore[attr-defined]
    assert [r.rcpt_tos[0] for r in smtp.received].count("not-yet@example.org") == 1


@pytest.mark.parametrize(
    ("public_url", "mail_from", "named"),
    [
        ("http://127.0.0.1:8000", "papersift <digest@papers.example.org>", "PAPERSIFT_PUBLIC_URL"),
        ("http://localhost:8000", "papersift <digest@papers.example.org>", "PAPERSIFT_PUBLIC_URL"),
        ("https://papers.example.org", "papersift <papersift@localhost>", "PAPERSIFT_MAIL_FROM"),
    ],
)
def test_digests_are_refused_while_links_or_the_sender_are_local(
    site: Engine,
    smtp: SMTPTestServer,
    mail_settings: Settings,
    public_url: str,
    mail_from: str,
    named: str,
) -> None:
    env = {**_cli_env(mail_settings, smtp), "PAPERSIFT_PUBLIC_URL": public_url}
    env["PAPERSIFT_MAIL_FROM"] = mail_from
    command = [sys.executable, "-m", "papersift", "digest", "--date", DAY.isoformat()]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert named in refused.stderr and "--dry-run" in refused.stderr, refused.stderr
    assert smtp.received == []
    assert all(site.digests.log.entry(u.id, DAY) is None for u, _ in site.digests.subscribers())

    dry = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert f"{SUBSCRIBERS} would be sent" in dry.stdout and smtp.received == []
