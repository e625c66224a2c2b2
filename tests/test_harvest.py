"""Tests of the OAI-PMH harvester against a scripted local HTTP server.

Time is faked: the harvester gets a clock that moves only when it sleeps (or when a test moves
it), so waits are asserted exactly and no test really waits.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lxml import etree

from papersift.errors import HarvestError, SettingsError
from papersift.model import Paper
from papersift.sources.harvest import (
    BACKOFF_BASE,
    DEFAULT_RETRY_AFTER,
    MAX_WAIT,
    ExpiredResumptionToken,
    HarvestPage,
    HarvestRequest,
    OAIHarvester,
    retry_after_seconds,
)
from tests.oai_server import Reply, Responder, serve

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OAI_FIXTURES = SHARED_DATA / "arxiv-fixtures" / "oai-pmh"
FIXTURE_PREFIX = "functional__arxiv__fixtures__http_server__records__"
HEP_EX = OAI_FIXTURES / f"{FIXTURE_PREFIX}arxiv-physics-hep-ex.xml"
HEP_TH = OAI_FIXTURES / f"{FIXTURE_PREFIX}arxiv-physics-hep-th.xml"
HEP_EX_IDS = ["1706.05371", "1706.09418", "1707.00874"]
HEP_TH_IDS = ["1412.8323", "1507.07790", "1607.01710"]
PHYSICS_IDS = HEP_EX_IDS + HEP_TH_IDS

OAI_NS = "http://www.openarchives.org/OAI/2.0/"

F = TypeVar("F", bound=Callable[..., Any])


def needs_shared_data(test: F) -> F:
    """Mark a test as reading ../shared/data and skip it when that is missing."""
    skip = pytest.mark.skipif(
        not OAI_FIXTURES.is_dir(), reason=f"recorded OAI-PMH responses not found in {OAI_FIXTURES}"
    )
    marked: F = pytest.mark.shared_data(skip(test))
    return marked


class FakeTime:
    """A clock that moves only when slept on or advanced; records every requested sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_harvester(fake_time: FakeTime) -> Callable[..., OAIHarvester]:
    def make(**options: Any) -> OAIHarvester:
        return OAIHarvester(sleep=fake_time.sleep, clock=fake_time.clock, **options)

    return make


# --- building responses ---------------------------------------------------------------------


def oai_response(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}"><responseDate>2024-01-02T00:00:00Z</responseDate>'
        f'<request verb="ListRecords">http://export.arxiv.org/oai2</request>{inner}</OAI-PMH>'
    ).encode()


def oai_error(code: str, message: str = "") -> bytes:
    return oai_response(f'<error code="{code}">{message}</error>')


def synthetic_record(arxiv_id: str) -> str:
    return (
        f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
        "<datestamp>2024-01-02</datestamp><setSpec>cs</setSpec></header><metadata>"
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
        f"<id>{arxiv_id}</id><created>2024-01-01</created>"
        "<authors><author><keyname>Doe</keyname><forenames>Jane</forenames></author></authors>"
        f"<title>Paper {arxiv_id}</title><categories>cs.IR</categories>"
        "<abstract>A synthetic record.</abstract></arXiv></metadata></record>"
    )


def synthetic_pages(ids: list[str]) -> list[bytes]:
    """One page per id, chained by tokens tok-2, tok-3, ...; the last has an empty token."""
    pages = []
    for index, arxiv_id in enumerate(ids):
        last = index == len(ids) - 1
        token = "" if last else f"tok-{index + 2}"
        token_xml = f'<resumptionToken completeListSize="{len(ids)}">{token}</resumptionToken>'
        pages.append(
            oai_response(f"<ListRecords>{synthetic_record(arxiv_id)}{token_xml}</ListRecords>")
        )
    return pages


def one_record_page(arxiv_id: str = "2401.00001") -> bytes:
    return oai_response(f"<ListRecords>{synthetic_record(arxiv_id)}</ListRecords>")


def physics_pages(page_size: int = 2) -> list[bytes]:
    """The six records of the two physics fixtures as three pages chained by tok-2, tok-3."""
    records = [
        record
        for path in (HEP_EX, HEP_TH)
        for record in etree.parse(str(path)).getroot().iter(f"{{{OAI_NS}}}record")
    ]
    template = etree.parse(str(HEP_EX)).getroot()
    chunks = [records[i : i + page_size] for i in range(0, len(records), page_size)]
    pages = []
    for index, chunk in enumerate(chunks):
        root = copy.deepcopy(template)
        list_records = root.find(f"{{{OAI_NS}}}ListRecords")
        assert list_records is not None
        for child in list(list_records):
            list_records.remove(child)
        list_records.extend(copy.deepcopy(record) for record in chunk)
        token = etree.SubElement(
            list_records,
            f"{{{OAI_NS}}}resumptionToken",
            completeListSize=str(len(records)),
            cursor=str(index * page_size),
        )
        if index < len(chunks) - 1:
            token.text = f"tok-{index + 2}"
        pages.append(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return pages


def by_token(pages: list[bytes]) -> Responder:
    """Serve ``pages[0]`` without a token and ``pages[n-1]`` for ``tok-n``; others are stale."""
    by_key = {None: pages[0]} | {f"tok-{n}": page for n, page in enumerate(pages[1:], start=2)}

    def reply(query: dict[str, str]) -> Reply:
        page = by_key.get(query.get("resumptionToken"))
        return Reply(body=page if page else oai_error("badResumptionToken", "expired"))

    return reply


def paper_ids(pages: Iterable[HarvestPage]) -> list[str]:
    ids = []
    for page in pages:
        for record in page.records:
            assert isinstance(record, Paper), record
            ids.append(record.id)
    return ids


def resume(token: str) -> dict[str, str]:
    return {"verb": "ListRecords", "resumptionToken": token}


def request_for(endpoint: str, **options: Any) -> HarvestRequest:
    values: dict[str, Any] = {"set_spec": None, "from_date": None, "until_date": None}
    return HarvestRequest(endpoint=endpoint, **(values | options))


# --- paging ---------------------------------------------------------------------------------


@needs_shared_data
def test_single_recorded_page(make_harvester: Callable[..., OAIHarvester]) -> None:
    with serve([Reply(body=HEP_EX.read_bytes())]) as server:
        request = request_for(server.url, set_spec="physics:hep-ex", from_date=date(2017, 12, 14))
        pages = list(make_harvester().pages(request))

    assert [(p.page_number, p.resumption_token, p.complete_list_size) for p in pages] == [
        (1, None, None)
    ]
    assert paper_ids(pages) == HEP_EX_IDS
    assert server.requests == [
        {
            "verb": "ListRecords",
            "metadataPrefix": "arXiv",
            "set": "physics:hep-ex",
            "from": "2017-12-14",
        }
    ]


@needs_shared_data
def test_follows_resumption_tokens_sending_only_the_token_after_the_first_page(
    make_harvester: Callable[..., OAIHarvester],
) -> None:
    with serve(by_token(physics_pages())) as server:
        request = request_for(
            server.url,
            set_spec="physics",
            from_date=date(2017, 12, 1),
            until_date=date(2017, 12, 14),
        )
        pages = list(make_harvester().pages(request))

    assert server.requests == [
        {
            "verb": "ListRecords",
            "metadataPrefix": "arXiv",
            "set": "physics",
            "from": "2017-12-01",
            "until": "2017-12-14",
        },
        resume("tok-2"),
        resume("tok-3"),
    ]
    assert [(p.page_number, p.resumption_token, p.complete_list_size) for p in pages] == [
        (1, "tok-2", 6),
        (2, "tok-3", 6),
        (3, None, 6),
    ]
    assert paper_ids(pages) == PHYSICS_IDS


@needs_shared_data
def test_resuming_starts_at_the_page_the_token_names(
    make_harvester: Callable[..., OAIHarvester],
) -> None:
    with serve(by_token(physics_pages())) as server:
        pages = list(make_harvester().pages(request_for(server.url), resume_token="tok-3"))

    assert server.requests == [resume("tok-3")]
    assert paper_ids(pages) == HEP_TH_IDS[1:]
    assert [p.page_number for p in pages] == [1]


@needs_shared_data
def test_interrupted_harvest_resumes_and_harvests_every_record_once(
    make_harvester: Callable[..., OAIHarvester],
) -> None:
    with serve(by_token(physics_pages())) as server:
        request = request_for(server.url, set_spec="physics")
        first_run = make_harvester().pages(request)
        assert server.requests == [], "nothing may be fetched before the first page is asked for"
        page = next(first_run)
        stored_ids, checkpoint = paper_ids([page]), page.resumption_token
        del first_run  # the process dies after the caller checkpointed page 1
        assert len(server.requests) == 1, "page 2 must not be fetched before it is asked for"

        assert checkpoint is not None
        stored_ids += paper_ids(make_harvester().pages(request, resume_token=checkpoint))

    assert stored_ids == PHYSICS_IDS
    assert server.requests[1:] == [resume("tok-2"), resume("tok-3")]


def test_no_records_match_is_an_empty_harvest(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime
) -> None:
    with serve([Reply(body=oai_error("noRecordsMatch", "nothing new"))]) as server:
        pages = list(make_harvester().pages(request_for(server.url, from_date=date(2030, 1, 1))))

    assert pages == []
    assert len(server.requests) == 1
    assert fake_time.sleeps == []


def test_arxivraw_metadata_prefix_is_passed_through(
    make_harvester: Callable[..., OAIHarvester],
) -> None:
    with serve([Reply(body=oai_error("noRecordsMatch"))]) as server:
        list(make_harvester().pages(request_for(server.url, metadata_prefix="arXivRaw")))

    assert server.requests == [{"verb": "ListRecords", "metadataPrefix": "arXivRaw"}]


def test_stale_resumption_token_raises_expired(
    make_harvester: Callable[..., OAIHarvester],
) -> None:
    with (
        serve(by_token(synthetic_pages(["2401.00001", "2401.00002"]))) as server,
        pytest.raises(ExpiredResumptionToken) as raised,
    ):
        list(make_harvester().pages(request_for(server.url), resume_token="stale"))

    assert isinstance(raised.value, HarvestError)
    assert raised.value.token == "stale"
    assert "expired" in str(raised.value)
    assert "restart" in str(raised.value)


def test_other_oai_errors_fail(make_harvester: Callable[..., OAIHarvester]) -> None:
    reply = Reply(body=oai_error("cannotDisseminateFormat", "no such format"))
    with serve([reply]) as server, pytest.raises(HarvestError, match="cannotDisseminateFormat"):
        list(make_harvester().pages(request_for(server.url)))

    assert len(server.requests) == 1


def test_a_token_that_repeats_itself_stops_the_harvest(
    make_harvester: Callable[..., OAIHarvester],
) -> None:
    looping = oai_response(
        f"<ListRecords>{synthetic_record('2401.00001')}"
        "<resumptionToken>tok-2</resumptionToken></ListRecords>"
    )
    with serve(lambda query: Reply(body=looping)) as server, pytest.raises(HarvestError):
        list(make_harvester().pages(request_for(server.url)))

    assert len(server.requests) == 2


def test_user_agent_identifies_the_client(make_harvester: Callable[..., OAIHarvester]) -> None:
    with serve([Reply(body=oai_error("noRecordsMatch"))]) as server:
        list(make_harvester(user_agent="papersift-test/1.0").pages(request_for(server.url)))

    assert server.user_agents == ["papersift-test/1.0"]


# --- politeness -----------------------------------------------------------------------------


def test_consecutive_requests_start_at_least_delay_apart(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime
) -> None:
    serve_page = by_token(synthetic_pages(["2401.00001", "2401.00002", "2401.00003"]))
    starts: list[float] = []

    def slow_server(query: dict[str, str]) -> Reply:
        starts.append(fake_time.now)
        fake_time.now += 1.0  # each response takes a second
        return serve_page(query)

    with serve(slow_server) as server:
        pages = list(make_harvester(delay=3.0).pages(request_for(server.url)))

    assert len(pages) == 3
    assert fake_time.sleeps == [2.0, 2.0]
    assert starts == [0.0, 3.0, 6.0]


# --- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_in_seconds_is_honoured(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime, status: int
) -> None:
    script = [Reply(status, headers={"Retry-After": "7"}), Reply(body=one_record_page())]
    with serve(script) as server:
        pages = list(make_harvester().pages(request_for(server.url)))

    assert paper_ids(pages) == ["2401.00001"]
    assert fake_time.sleeps == [7.0]
    assert len(server.requests) == 2


@pytest.mark.parametrize("header", [{}, {"Retry-After": "soon"}])
def test_503_without_a_usable_retry_after_waits_the_default(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime, header: dict[str, str]
) -> None:
    with serve([Reply(503, headers=header), Reply(body=one_record_page())]) as server:
        list(make_harvester().pages(request_for(server.url)))

    assert fake_time.sleeps == [DEFAULT_RETRY_AFTER]


def test_absurd_retry_after_is_capped(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime
) -> None:
    far_future = {"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"}
    with serve([Reply(503, headers=far_future), Reply(body=one_record_page())]) as server:
        list(make_harvester().pages(request_for(server.url)))

    assert fake_time.sleeps == [MAX_WAIT]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("86400", MAX_WAIT),
        ("Wed, 01 Jan 2025 00:00:30 GMT", 30.0),
        ("Tue, 31 Dec 2024 23:00:00 GMT", 0.0),  # already past
        ("Fri, 31 Dec 2100 23:59:59 GMT", MAX_WAIT),
        (None, None),
        ("", None),
        ("soon", None),
        ("1.5", None),
        ("-5", None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after_seconds(value, now=now) == seconds


def test_dropped_connection_and_server_error_are_retried_with_backoff(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime
) -> None:
    script = [Reply(drop=True), Reply(500), Reply(body=one_record_page())]
    with serve(script) as server:
        pages = list(make_harvester().pages(request_for(server.url)))

    assert paper_ids(pages) == ["2401.00001"]
    assert fake_time.sleeps == [BACKOFF_BASE, 2 * BACKOFF_BASE]
    assert len(server.requests) == 3


def test_timeout_is_retried(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime
) -> None:
    script = [Reply(body=one_record_page(), delay=0.5), Reply(body=one_record_page())]
    with serve(script) as server:
        pages = list(make_harvester(timeout=0.1).pages(request_for(server.url)))

    assert paper_ids(pages) == ["2401.00001"]
    assert fake_time.sleeps == [BACKOFF_BASE]


@pytest.mark.parametrize(
    "body",
    [one_record_page()[:150], b"<html><body>Proxy error</body></html>"],
    ids=["truncated", "not-oai-pmh"],
)
def test_unusable_body_is_retried(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime, body: bytes
) -> None:
    with serve([Reply(body=body), Reply(body=one_record_page())]) as server:
        pages = list(make_harvester().pages(request_for(server.url)))

    assert paper_ids(pages) == ["2401.00001"]
    assert len(server.requests) == 2
    assert fake_time.sleeps == [BACKOFF_BASE]


def test_persistently_garbled_xml_fails(make_harvester: Callable[..., OAIHarvester]) -> None:
    garbled = Reply(body=b"<html><body>Service temporarily unavail")
    with serve(lambda query: garbled) as server, pytest.raises(HarvestError, match="XML"):
        list(make_harvester(max_retries=1).pages(request_for(server.url)))

    assert len(server.requests) == 2


def test_persistent_failure_raises_after_max_retries(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime
) -> None:
    with serve(lambda query: Reply(500)) as server, pytest.raises(HarvestError) as raised:
        list(make_harvester(max_retries=3).pages(request_for(server.url)))

    assert len(server.requests) == 4
    assert fake_time.sleeps == [BACKOFF_BASE, 2 * BACKOFF_BASE, 4 * BACKOFF_BASE]
    assert server.url in str(raised.value)
    assert "HTTP 500" in str(raised.value)


def test_client_error_fails_at_once(
    make_harvester: Callable[..., OAIHarvester], fake_time: FakeTime
) -> None:
    with serve(lambda query: Reply(404)) as server, pytest.raises(HarvestError, match="404"):
        list(make_harvester().pages(request_for(server.url)))

    assert len(server.requests) == 1
    assert fake_time.sleeps == []


# --- arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"endpoint": "ftp://export.arxiv.org/oai2"},
        {"endpoint": "export.arxiv.org/oai2"},
        {"metadata_prefix": "oai_dc"},
        {"set_spec": ""},
        {"from_date": date(2024, 2, 1), "until_date": date(2024, 1, 1)},
    ],
)
def test_bad_requests_are_rejected(options: dict[str, Any]) -> None:
    values = {"endpoint": "https://export.arxiv.org/oai2"} | options
    with pytest.raises(SettingsError):
        request_for(**values)


@pytest.mark.parametrize("options", [{"delay": -1.0}, {"max_retries": -1}, {"timeout": 0.0}])
def test_bad_harvester_options_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises(SettingsError):
        OAIHarvester(**options)


def test_empty_resume_token_is_rejected(make_harvester: Callable[..., OAIHarvester]) -> None:
    request = request_for("https://export.arxiv.org/oai2")
    with pytest.raises(SettingsError):
        next(make_harvester().pages(request, resume_token=""))
