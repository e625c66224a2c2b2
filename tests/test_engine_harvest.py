"""Harvesting through the engine and the CLI: checkpoints, crashes and resumption."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.errors import HarvestError
from papersift.settings import Settings
from tests.oai_server import Reply, serve
from tests.test_harvest import by_token, oai_error, synthetic_pages

IDS = [f"2401.{n:05d}" for n in range(1, 6)]


def _settings(base: Settings, endpoint: str) -> Settings:
    return base.model_copy(update={"oai_endpoint": endpoint, "harvest_max_retries": 0})


def test_harvest_stores_every_page_and_indexes(settings: Settings) -> None:
    with serve(by_token(synthetic_pages(IDS))) as server:
        engine = Engine(_settings(settings, server.url))
        report = engine.harvest(set_spec="cs", from_date=date(2024, 1, 1))
    assert (report.pages, report.records, report.added) == (5, 5, 5)
    assert server.requests[0] == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "cs",
        "from": "2024-01-01",
    }
    assert [r.paper.id for r in engine.search("synthetic", k=10)] != []
    assert engine.papers.count() == 5


class FlakyAtPageThree:
    """Serves the synthetic pages; page three fails (404) while ``broken`` is set."""

    def __init__(self) -> None:
        self.healthy = by_token(synthetic_pages(IDS))
        self.broken = True
        self.expire_next_token = False

    def __call__(self, query: dict[str, str]) -> Reply:
        if self.expire_next_token and "resumptionToken" in query:
            self.expire_next_token = False
            return Reply(body=oai_error("badResumptionToken", "expired"))
        if self.broken and query.get("resumptionToken") == "tok-3":
            return Reply(status=404, body=b"gone")
        return self.healthy(query)


def _crash_at_page_three(engine: Engine) -> None:
    with pytest.raises(HarvestError):
        engine.harvest(set_spec="cs", from_date=date(2024, 1, 1))
    assert engine.papers.count() == 2  # pages 1 and 2 were committed


def test_failed_harvest_resumes_after_the_last_committed_page(settings: Settings) -> None:
    script = FlakyAtPageThree()
    with serve(script) as server:
        engine = Engine(_settings(settings, server.url))
        _crash_at_page_three(engine)
        script.broken = False
        requests_before = len(server.requests)
        report = engine.harvest(set_spec="cs", from_date=date(2024, 1, 1))
    assert report.resumed_from_page == 2
    assert server.requests[requests_before] == {"verb": "ListRecords", "resumptionToken": "tok-3"}
    assert (report.pages, report.added) == (3, 3)
    assert engine.papers.count() == 5


def test_expired_token_restarts_from_the_first_page(settings: Settings) -> None:
    script = FlakyAtPageThree()
    with serve(script) as server:
        engine = Engine(_settings(settings, server.url))
        _crash_at_page_three(engine)
        script.broken, script.expire_next_token = False, True
        report = engine.harvest(set_spec="cs", from_date=date(2024, 1, 1))
    assert report.resumed_from_page is None  # it had to start over
    assert engine.papers.count() == 5
    assert (report.unchanged, report.added) == (2, 3)


def test_a_completed_harvest_is_run_again_from_the_start(settings: Settings) -> None:
    with serve(by_token(synthetic_pages(IDS))) as server:
        engine = Engine(_settings(settings, server.url))
        engine.harvest(set_spec="cs", from_date=date(2024, 1, 1))
        again = engine.harvest(set_spec="cs", from_date=date(2024, 1, 1))
    assert again.resumed_from_page is None
    assert (again.added, again.unchanged) == (0, 5)


@pytest.mark.slow
def test_killed_cli_harvest_resumes(tmp_path: Path) -> None:
    """Kill `papersift harvest` with SIGKILL mid-run; the next run finishes the job."""
    ids = [f"2402.{n:05d}" for n in range(1, 9)]
    healthy = by_token(synthetic_pages(ids))

    def slow(query: dict[str, str]) -> Reply:
        reply = healthy(query)
        return Reply(body=reply.body, delay=0.4)

    data_dir = tmp_path / "data"
    with serve(slow) as server:
        env = {
            **os.environ,
            "PAPERSIFT_OAI_ENDPOINT": server.url,
            "PAPERSIFT_HARVEST_DELAY": "0",
            "PAPERSIFT_DATA_DIR": str(data_dir),
        }
        env.pop("PAPERSIFT_DATABASE_URL", None)
        command = [
            sys.executable,
            "-m",
            "papersift",
            "harvest",
            "--set",
            "cs",
            "--from",
            "2024-01-01",
        ]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while len(server.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        first_run_requests = len(server.requests)
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert "resumed after page" in finished.stdout
    resumed_requests = server.requests[first_run_requests:]
    assert "resumptionToken" in resumed_requests[0]
    engine = Engine(
        Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'papersift.db'}")
    )
    assert engine.papers.count() == 8
