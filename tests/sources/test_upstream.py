"""Poison records and failures from upstream (OAI-PMH pages, the arXiv API), in plain words.

A record arXiv serves that cannot be read is reported and skipped by a harvest, and is an
``UpstreamRecordError`` (HTTP 502 on the web) for a submission; an unreachable server is
reported as what happened ("the connection was refused"), not as the HTTP library's text.
"""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from papersift.engine import Engine
from papersift.errors import HarvestError, UpstreamRecordError
from papersift.model import Paper
from papersift.settings import Settings
from papersift.sources import Malformed
from papersift.sources.arxiv_api import ArxivClient
from papersift.sources.harvest import HarvestRequest, OAIHarvester, retry_after_seconds
from tests.oai_server import Reply, serve

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
LATE_DATE = "Fri, 31 Dec 9999 23:59:59 -0100"
EARLY_ISO = "0001-01-01T00:00:00+05:00"


def raw_record(paper_id: str, title: str, *, version: str = "v1", date_text: str = "") -> str:
    date_text = date_text or "Mon, 2 Apr 2007 19:18:42 GMT"
    return f"""<record><header><identifier>oai:arXiv.org:{paper_id}</identifier>
<datestamp>2024-01-01</datestamp></header><metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{paper_id}</id>
<version version="{version}"><date>{date_text}</date></version>
<title>{title}</title><authors>A. One</authors><categories>cs.CL</categories>
<abstract>An abstract.</abstract></arXivRaw></metadata></record>"""


POISON_PAGE = (
    f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}"><ListRecords>'
    + raw_record("2401.00001", "Harvested sparse kernels")
    + raw_record("2401.00002", "Poison date", date_text=LATE_DATE)
    + raw_record("2401.00003", "Poison version", version="v²")
    + raw_record("2401.00004", "Harvested dense kernels")
    + raw_record("2401.00005", "Poison number", version=f"v{2**64}")
    + "</ListRecords></OAI-PMH>"
).encode()


def atom(published: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2603.12345v1</id>
<published>{published}</published><updated>{published}</updated>
<title>A fresh paper</title><summary>An abstract.</summary>
<author><name>Fetched Author</name></author></entry></feed>""".encode()


def refused_url() -> str:
    """The URL of a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/oai2"


def assert_plain(message: str) -> None:
    for jargon in ("HTTPConnectionPool", "Max retries", "NewConnectionError", "Errno"):
        assert jargon not in message, message


# OAI-PMH harvests ------------------------------------------------------------------------------


def test_a_harvested_page_with_poison_records_yields_the_good_ones() -> None:
    with serve([Reply(body=POISON_PAGE)]) as server:
        harvester = OAIHarvester(delay=0, max_retries=0)
        (page,) = harvester.pages(HarvestRequest(server.url, "cs", None, None, "arXivRaw"))
    papers = [r.id for r in page.records if isinstance(r, Paper)]
    problems = [r for r in page.records if isinstance(r, Malformed)]
    assert papers == ["2401.00001", "2401.00004"]
    assert [(p.position, p.reason.split(" ")[:2]) for p in problems] == [
        (2, ["bad", "date"]),
        (3, ["bad", "version"]),
        (5, ["bad", "version"]),
    ]


def test_the_engine_harvest_stores_the_good_records_and_reports_the_poison(
    settings: Settings,
) -> None:
    with serve([Reply(body=POISON_PAGE)]) as server:
        engine = Engine(settings.model_copy(update={"oai_endpoint": server.url}))
        try:
            report = engine.harvest(
                set_spec="cs", from_date=date(2024, 1, 1), metadata_prefix="arXivRaw"
            )
            assert (report.records, report.added, report.malformed) == (2, 2, 3)
            found = {hit.paper.id for hit in engine.search("harvested kernels", k=10)}
            assert found == {"2401.00001", "2401.00004"}
        finally:
            engine.close()


def test_daily_harvests_past_poison_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papersift.cli import main

    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")
    monkeypatch.setenv("PAPERSIFT_HARVEST_DELAY", "0")
    monkeypatch.setenv("PAPERSIFT_DAILY_SETS", "cs")
    data_dir = tmp_path / "data"
    with serve(lambda query: Reply(body=POISON_PAGE)) as server:
        monkeypatch.setenv("PAPERSIFT_OAI_ENDPOINT", server.url)
        result = CliRunner().invoke(
            main, ["--data-dir", str(data_dir), "daily", "--dry-run", "--date", "2024-01-02"]
        )
    assert result.exit_code == 0, result.output
    search = CliRunner().invoke(main, ["--data-dir", str(data_dir), "search", "harvested"])
    assert "2401.00001" in search.output and "2401.00004" in search.output


def test_an_unreachable_oai_server_is_reported_in_plain_words() -> None:
    harvester = OAIHarvester(delay=0, max_retries=0)
    with pytest.raises(HarvestError) as raised:
        next(harvester.pages(HarvestRequest(refused_url(), None, None, None)))
    assert "the connection was refused" in str(raised.value)
    assert_plain(str(raised.value))


@pytest.mark.parametrize(
    "value",
    [
        LATE_DATE,
        "Fri, 31 Dec 99999999999999999999 23:59:59 GMT",
        "Mon, 1 Jan 0001 00:00:00 +2359",
        "9" * 5000,
        "²",
    ],
)
def test_poison_retry_after_values_never_raise(value: str) -> None:
    seconds = retry_after_seconds(value, now=datetime(2024, 1, 1, tzinfo=UTC))
    assert seconds is None or 0.0 <= seconds <= 600.0


# the arXiv API (submissions) -------------------------------------------------------------------


def test_an_arxiv_api_record_that_cannot_be_read_is_an_upstream_record_error() -> None:
    with serve(lambda query: Reply(body=atom(EARLY_ISO))) as server:
        client = ArxivClient(server.url)
        with pytest.raises(UpstreamRecordError) as raised:
            client.fetch("2603.12345")
        client.close()
    message = str(raised.value)
    assert "2603.12345" in message and f"bad published date '{EARLY_ISO}'" in message
    assert isinstance(raised.value, HarvestError)  # answered as 502 by the web front


def test_the_web_front_answers_an_upstream_record_error_with_502() -> None:
    from papersift.web.errors import _status_of

    assert _status_of(UpstreamRecordError("arXiv's answer cannot be read")) == (
        502,
        "upstream_error",
    )


def test_a_submission_of_a_poison_arxiv_record_is_refused_and_stores_nothing(
    settings: Settings,
) -> None:
    now = datetime(2026, 3, 12, tzinfo=UTC)
    with serve(lambda query: Reply(body=atom(EARLY_ISO))) as server:
        engine = Engine(
            settings.model_copy(update={"arxiv_api_endpoint": server.url}), clock=lambda: now
        )
        try:
            user = engine.users.create("s@example.org", "Sam", "x" * 12, now=now)
            with pytest.raises(UpstreamRecordError, match="bad published date"):
                engine.submissions.submit(user, "2603.12345")
            assert engine.papers.get("2603.12345") is None
        finally:
            engine.close()


def test_an_unreachable_arxiv_api_is_reported_in_plain_words() -> None:
    client = ArxivClient(refused_url())
    with pytest.raises(HarvestError) as raised:
        client.fetch("2603.12345")
    client.close()
    assert "cannot reach the arXiv API" in str(raised.value)
    assert "the connection was refused" in str(raised.value)
    assert_plain(str(raised.value))
