from __future__ import annotations

import gzip
import tracemalloc
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersift.model import Paper, Version
from papersift.sources import Malformed
from papersift.sources.jsonl import read_jsonl

SAMPLE_RECORD = {
    "id": "2503.11677",
    "title": "Simulation of prosthetic vision",
    "abstract": "Objective. Patients implanted\nwith PRIMA.",
    "authors": ["Jungyeon Park", "Daniel Palanker"],
    "categories": ["cs.HC", "cs.CV", "cs.HC"],
    "date": "2025-03-18",
}
KAGGLE_RECORD = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n"
    "  LHC energies",
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph",
    "license": None,
    "abstract": "  A fully differential calculation in perturbative quantum chromodynamics.\n",
    "versions": [
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [["Balázs", "C.", ""], ["Berger", "E. L.", ""], ["Nadolsky", "P. M.", ""],
                       ["Yuan", "C. -P.", ""], ["Smith", "John", "Jr"]],
}  # fmt: skip


def write_jsonl(path: Path, *records: object) -> Path:
    """Write records as JSON lines; ``bytes`` items are written as they are (one line each)."""
    lines = [r if isinstance(r, bytes) else orjson.dumps(r) for r in records]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def only(records: list[Paper | Malformed]) -> Paper | Malformed:
    assert len(records) == 1, records
    return records[0]


def reason_of(path: Path) -> str:
    record = only(list(read_jsonl(path)))
    assert isinstance(record, Malformed), record
    return record.reason


# --- shared fixtures ------------------------------------------------------------------------


@pytest.mark.slow
def test_every_line_of_the_arxiv_sample_is_a_paper(shared_data: Path) -> None:
    count = 0
    for record in read_jsonl(shared_data / "arxiv-sample.jsonl.gz"):
        assert isinstance(record, Paper), record
        count += 1
    assert count == 74_728


def test_arxiv_sample_fields(shared_data: Path) -> None:
    first = next(read_jsonl(shared_data / "arxiv-sample.jsonl.gz"))
    assert isinstance(first, Paper)
    assert first.id == "2503.11677"
    assert first.title.startswith("Simulation of prosthetic vision with PRIMA")
    assert "\n" in first.abstract  # the original line breaks are kept
    assert first.authors[0] == "Jungyeon Park"
    assert first.categories == ("cs.HC", "cs.CV")
    assert first.listed == date(2025, 3, 18)
    assert first.submitted is None
    assert first.source == "arxiv"


def test_scifact_corpus_is_namespaced(shared_data: Path) -> None:
    papers = list(islice(read_jsonl(shared_data / "scifact" / "corpus.jsonl"), 50))
    first = papers[0]
    assert isinstance(first, Paper)
    assert first.id == "scifact:4983"
    assert first.source == "beir:scifact"
    assert first.abstract.startswith("Alterations of the architecture")
    assert all(isinstance(p, Paper) for p in papers)


def test_seed_papers_are_generic_with_repaired_dashes(shared_data: Path) -> None:
    papers = list(read_jsonl(shared_data / "seed-papers.jsonl"))
    assert len(papers) == 612
    assert all(isinstance(p, Paper) and p.source == "generic" for p in papers)
    ids = {p.id for p in papers if isinstance(p, Paper)}
    assert "seed:fde0b046e9" in ids
    assert not any("x2013" in p.abstract for p in papers if isinstance(p, Paper))
    assert any("compression–which" in p.abstract for p in papers if isinstance(p, Paper))


# --- formats ----------------------------------------------------------------------------------


def test_sample_format(tmp_path: Path) -> None:
    paper = only(list(read_jsonl(write_jsonl(tmp_path / "a.jsonl", SAMPLE_RECORD))))
    assert paper == Paper(
        id="2503.11677",
        title="Simulation of prosthetic vision",
        abstract="Objective. Patients implanted\nwith PRIMA.",
        authors=("Jungyeon Park", "Daniel Palanker"),
        categories=("cs.HC", "cs.CV"),
        listed=date(2025, 3, 18),
    )


def test_version_in_the_id_sets_version(tmp_path: Path) -> None:
    record = dict(SAMPLE_RECORD, id="arXiv:2503.11677v3")
    paper = only(list(read_jsonl(write_jsonl(tmp_path / "a.jsonl", record))))
    assert isinstance(paper, Paper)
    assert (paper.id, paper.version) == ("2503.11677", 3)


def test_kaggle_format(tmp_path: Path) -> None:
    paper = only(list(read_jsonl(write_jsonl(tmp_path / "k.jsonl", KAGGLE_RECORD))))
    assert isinstance(paper, Paper)
    assert paper.id == "0704.0001"
    assert paper.version == 2
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan",
                             "John Smith Jr")  # fmt: skip
    assert paper.categories == ("hep-ph",)
    assert paper.submitted == date(2007, 4, 2)
    assert paper.updated == date(2007, 7, 24)
    assert paper.versions == (
        Version(1, datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
        Version(2, datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
    )
    assert paper.journal_ref == "Phys.Rev.D76:013009,2007"
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.license is None
    assert (
        paper.abstract == "A fully differential calculation in perturbative quantum chromodynamics."
    )
    assert paper.title.endswith("Tevatron and\n  LHC energies")


def test_kaggle_without_authors_parsed_splits_the_author_string(tmp_path: Path) -> None:
    record = {k: v for k, v in KAGGLE_RECORD.items() if k != "authors_parsed"}
    paper = only(list(read_jsonl(write_jsonl(tmp_path / "k.jsonl", record))))
    assert isinstance(paper, Paper)
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")


def test_beir_namespace_parameter_and_underscore_id(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "corpus.jsonl", {"_id": "MED-10", "title": "T", "text": "B"})
    paper = only(list(read_jsonl(path, namespace="nfcorpus")))
    assert isinstance(paper, Paper)
    assert (paper.id, paper.source, paper.abstract) == ("nfcorpus:MED-10", "beir:nfcorpus", "B")


@pytest.mark.parametrize(
    ("raw_id", "expected"),
    [("seed-fde0b046e9", "seed:fde0b046e9"), ("doi:10.1/x", "doi:10.1/x"), ("42", "mydir:42")],
)
def test_generic_ids(tmp_path: Path, raw_id: str, expected: str) -> None:
    folder = tmp_path / "MyDir"
    folder.mkdir()
    record = {"id": raw_id, "title": "T", "abstract": "A"}
    paper = only(list(read_jsonl(write_jsonl(folder / "g.jsonl", record))))
    assert isinstance(paper, Paper)
    assert (paper.id, paper.source) == (expected, "generic")


def test_own_format_round_trip_of_a_full_paper(tmp_path: Path) -> None:
    paper = Paper(
        id="hep-th/9901001",
        title="A title",
        abstract="An abstract\nover lines",
        authors=("Geoffrey E. Hinton",),
        categories=("hep-th", "math.MP"),
        version=2,
        submitted=date(1999, 1, 1),
        updated=date(1999, 2, 1),
        listed=date(1999, 1, 4),
        doi="10.1/x",
        journal_ref="J. 1",
        comments="5 pages",
        license="CC0",
        versions=(Version(1, datetime(1999, 1, 1, tzinfo=UTC)), Version(2, None)),
    )
    path = write_jsonl(tmp_path / "export.jsonl", paper.to_dict())
    assert list(read_jsonl(path)) == [paper]


def test_json_array_file(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    path.write_bytes(orjson.dumps([SAMPLE_RECORD, {"id": "2503.11678"}, 5]))
    records = list(read_jsonl(path))
    assert isinstance(records[0], Paper)
    assert records[1] == Malformed(str(path), 2, "missing title", unit="item")
    assert records[2] == Malformed(str(path), 3, "expected a JSON object, got number", unit="item")


def test_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(orjson.dumps(SAMPLE_RECORD) + b"\n"))
    assert isinstance(only(list(read_jsonl(path))), Paper)


def test_truncated_gzip_file_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    data = gzip.compress(b"\n".join(orjson.dumps(SAMPLE_RECORD) for _ in range(200)))
    path.write_bytes(data[: len(data) // 2])
    records = list(read_jsonl(path))
    assert isinstance(records[-1], Malformed)
    assert "cannot read the file any further" in records[-1].reason


# --- bad lines --------------------------------------------------------------------------------


def test_bad_lines_are_reported_and_reading_goes_on(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        SAMPLE_RECORD,
        b"",
        b'{"id": "2503.11678" "title": "x"}',
        b"[1, 2]",
        {"id": "2503.11679", "abstract": "no title"},
        {"id": "", "title": "T", "abstract": "A"},
        {"id": "2503.11680", "title": ["not", "a", "string"]},
        {"id": "2513.99999", "title": "T", "categories": ["cs.AI"]},
        {"id": "2503.11681", "title": "T", "authors": "A, B", "categories": 7},
        b"   ",
        SAMPLE_RECORD,
    )
    with path.open("ab") as file:
        file.write(b'{"id": "2503.11682", "title": "trunc')  # no newline: a cut-off last line
    records = list(read_jsonl(path))
    assert [type(r).__name__ for r in records] == ["Paper"] + ["Malformed"] * 7 + [
        "Paper",
        "Malformed",
    ]
    reasons = {r.position: r.reason for r in records if isinstance(r, Malformed)}
    assert reasons[3].startswith("invalid JSON: ")
    assert "column" in reasons[3]
    assert reasons[4] == "expected a JSON object, got array"
    assert reasons[5] == "missing title"
    assert reasons[6] == "missing id"
    assert reasons[7] == "title must be a string, not array"
    assert reasons[8] == "not an arXiv id: '2513.99999'"
    assert reasons[9] == "categories must be a list of strings"
    assert reasons[12].startswith("invalid JSON (truncated last line?): ")


def test_duplicate_ids_are_both_yielded(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "dup.jsonl", SAMPLE_RECORD, SAMPLE_RECORD)
    assert [r.id for r in read_jsonl(path) if isinstance(r, Paper)] == ["2503.11677"] * 2


def test_latin1_bytes_in_a_line(tmp_path: Path) -> None:
    line = '{"id": "2503.11677", "title": "Schrödinger", "abstract": ""}'.encode("latin-1")
    path = write_jsonl(tmp_path / "latin1.jsonl", line, SAMPLE_RECORD)
    records = list(read_jsonl(path))
    assert isinstance(records[0], Malformed)
    assert records[0].reason.startswith("invalid UTF-8 at byte ")
    assert isinstance(records[1], Paper)


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes((orjson.dumps(SAMPLE_RECORD).decode() + "\n").encode("utf-16"))
    assert reason_of(path) == "file is UTF-16 encoded; JSON lines must be UTF-8"


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(SAMPLE_RECORD) + b"\n")
    assert isinstance(only(list(read_jsonl(path))), Paper)


def test_size_limits(tmp_path: Path) -> None:
    too_many = dict(SAMPLE_RECORD, authors=[f"Author {i}" for i in range(5_001)])
    assert (
        reason_of(write_jsonl(tmp_path / "a.jsonl", too_many)) == "5001 authors; the limit is 5000"
    )
    long_title = dict(SAMPLE_RECORD, title="x" * 2_001)
    assert reason_of(write_jsonl(tmp_path / "t.jsonl", long_title)) == (
        "title is 2001 characters; the limit is 2000"
    )


def test_ten_megabyte_abstract_is_malformed_and_memory_stays_sane(tmp_path: Path) -> None:
    huge = dict(SAMPLE_RECORD, abstract="a" * 10 * 1024 * 1024)
    path = write_jsonl(tmp_path / "huge.jsonl", huge, SAMPLE_RECORD)
    size = len(orjson.dumps(huge))
    del huge
    tracemalloc.start()
    try:
        records = list(read_jsonl(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert records[0] == Malformed(str(path), 1, f"line is {size} bytes; the limit is 4194304")
    assert isinstance(records[1], Paper)
    assert peak < 16 * 1024 * 1024


def test_abstract_over_the_limit(tmp_path: Path) -> None:
    long_abstract = dict(SAMPLE_RECORD, abstract="a" * 300_000)
    assert reason_of(write_jsonl(tmp_path / "a.jsonl", long_abstract)) == (
        "abstract is 300000 characters; the limit is 200000"
    )


def test_overlong_line_is_skipped_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("papersift.sources.jsonl.MAX_LINE_BYTES", 1_000)
    path = write_jsonl(tmp_path / "long.jsonl", b"[" + b"1," * 5_000 + b"1]", SAMPLE_RECORD)
    records = list(read_jsonl(path))
    assert records[0] == Malformed(str(path), 1, "line is 10003 bytes; the limit is 1000")
    assert isinstance(records[1], Paper)
    assert records[1] == only(list(read_jsonl(write_jsonl(tmp_path / "s.jsonl", SAMPLE_RECORD))))


# --- properties -----------------------------------------------------------------------------


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.binary(max_size=80), max_size=8))
def test_never_raises_on_arbitrary_lines(tmp_path: Path, lines: list[bytes]) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(b"\n".join(lines))
    for record in read_jsonl(path):
        assert isinstance(record, Paper | Malformed)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    ["id", "_id", "title", "abstract", "text", "authors", "categories", "date", "versions",
     "version", "source", "authors_parsed", "update_date", "submitted", "submitter"]
)  # fmt: skip


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(KEYS, JSON_VALUES | st.sampled_from(["2503.11677", "x", "seed-1"])))
def test_never_raises_on_arbitrary_objects(tmp_path: Path, record: dict[str, object]) -> None:
    path = write_jsonl(tmp_path / "fuzz.jsonl", record)
    for result in read_jsonl(path):
        assert isinstance(result, Paper | Malformed)


# Any storable text: no lone surrogates, no NUL (readers refuse both: no store takes them).
CHARACTERS = st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00")
TEXT = st.text(CHARACTERS, max_size=40).map(str.strip)
NAMES = st.text(CHARACTERS, min_size=1, max_size=20)
DATES = st.none() | st.dates(date(1990, 1, 1), date(2030, 12, 31))
ARXIV_IDS = st.sampled_from(["2503.11677", "0704.0001", "hep-th/9901001", "1412.0001"])
OTHER_IDS = st.sampled_from(["scifact:4983", "seed:fde0b046e9", "x:1"])


@st.composite
def papers(draw: st.DrawFn) -> Paper:
    arxiv = draw(st.booleans())
    numbers = sorted(draw(st.sets(st.integers(1, 9), max_size=3)))
    created = st.none() | st.datetimes(
        datetime(1990, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)
    )
    return Paper(
        id=draw(ARXIV_IDS if arxiv else OTHER_IDS),
        title=draw(TEXT.filter(bool)),
        abstract=draw(TEXT),
        authors=tuple(draw(st.lists(NAMES, max_size=4))),
        categories=tuple(
            draw(st.lists(st.sampled_from(["cs.AI", "cs.CL", "hep-th"]), unique=True))
        ),
        version=draw(st.integers(1, 20)),
        submitted=draw(DATES),
        updated=draw(DATES),
        listed=draw(DATES),
        doi=draw(st.none() | TEXT.filter(bool)),
        journal_ref=draw(st.none() | TEXT.filter(bool)),
        comments=draw(st.none() | TEXT.filter(bool)),
        license=draw(st.none() | TEXT.filter(bool)),
        source="arxiv" if arxiv else draw(st.sampled_from(["generic", "beir:scifact"])),
        versions=tuple(Version(n, draw(created)) for n in numbers),
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(papers(), min_size=1, max_size=4))
def test_own_format_round_trips(tmp_path: Path, generated: list[Paper]) -> None:
    path = write_jsonl(tmp_path / "export.jsonl", *(p.to_dict() for p in generated))
    assert list(read_jsonl(path)) == generated
