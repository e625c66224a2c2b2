"""Poison values in single fields: each becomes a reported, skipped record, never an exception.

One test per root cause found by fuzzing the readers (see bench/fuzz_readers.py), through the
field helper and through every reader that takes the field.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.model import MAX_VERSION, Paper
from papersift.sources import Malformed
from papersift.sources._fields import (
    RecordError,
    checked,
    parse_email_date,
    parse_iso_datetime,
    split_authors,
    version_number,
)
from papersift.sources.abs import read_abs
from papersift.sources.atom import parse_atom
from papersift.sources.jsonl import read_jsonl
from papersift.sources.oai import parse_oai_response

HUGE_DIGITS = "9" * 5000  # past int()'s 4,300-digit limit
LATE_DATE = "Fri, 31 Dec 9999 23:59:59 -0100"  # in UTC, past datetime.max
EARLY_ISO = "0001-01-01T00:00:00+05:00"  # in UTC, before datetime.min

KAGGLE = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Balázs, E. L. Berger",
    "title": "Calculation of prompt diphoton production",
    "categories": "hep-ph",
    "abstract": "A fully differential calculation.",
    "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
    "update_date": "2008-11-13",
}
OWN = Paper(id="2501.00001", title="A paper", version=2).to_dict()


def raw_page(version_label: str, date: str = "Mon, 2 Apr 2007 19:18:42 GMT") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>
<record><header><identifier>oai:arXiv.org:0704.0001</identifier></header>
<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>0704.0001</id>
<version version="{version_label}"><date>{date}</date></version>
<title>A title</title><authors>A. One</authors><categories>hep-ph</categories>
<abstract>An abstract.</abstract></arXivRaw></metadata></record>
</ListRecords></OAI-PMH>""".encode()


def abs_text(*dates: str) -> str:
    lines = "\n".join(dates)
    return f"""------------------------------------------------------------------------------
\\\\
arXiv:0704.0001
From: Someone <someone@example.org>
{lines}

Title: A title
Authors: A. One
Categories: hep-ph
\\\\
  An abstract.
\\\\
"""


def atom_feed(published: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2101.04792v1</id>
<published>{published}</published><updated>2021-01-12T22:55:17Z</updated>
<title>A title</title><summary>An abstract.</summary></entry></feed>""".encode()


def one_kaggle(tmp_path: Path, **changes: object) -> Paper | Malformed:
    path = tmp_path / "kaggle.jsonl"
    path.write_bytes(orjson.dumps(KAGGLE | changes) + b"\n")
    (record,) = read_jsonl(path)
    return record


def one_own(tmp_path: Path, **changes: object) -> Paper | Malformed:
    path = tmp_path / "own.jsonl"
    path.write_bytes(orjson.dumps(OWN | changes) + b"\n")
    (record,) = read_jsonl(path)
    return record


def one_raw(version_label: str, date: str = "Mon, 2 Apr 2007 19:18:42 GMT") -> Paper | Malformed:
    (record,) = parse_oai_response(raw_page(version_label, date), "page").records
    return record


def one_abs(tmp_path: Path, *dates: str) -> Paper | Malformed:
    path = tmp_path / "0704.0001.abs"
    path.write_text(abs_text(*dates))
    (record,) = read_abs(path)
    return record


def assert_skipped(record: Paper | Malformed, reason: str) -> None:
    assert isinstance(record, Malformed), record
    assert reason in record.reason


# 1. version labels: non-ASCII digits and more digits than int() takes --------------------------


@pytest.mark.parametrize("label", ["v²", "v١", "v" + HUGE_DIGITS, "v0", "v", "v-1", "v 1", "²"])
def test_version_number_refuses_what_is_not_a_plain_number(label: str) -> None:
    with pytest.raises(RecordError, match="bad version"):
        version_number(label)


def test_version_number_accepts_labels_up_to_the_limit() -> None:
    assert version_number("v3") == 3
    assert version_number(" V12 ") == 12
    assert version_number(f"v{MAX_VERSION}") == MAX_VERSION
    with pytest.raises(RecordError, match="bad version"):
        version_number(f"v{MAX_VERSION + 1}")


def test_bad_message_is_short() -> None:
    with pytest.raises(RecordError) as caught:
        version_number("v" + HUGE_DIGITS)
    assert len(str(caught.value)) < 100


@pytest.mark.parametrize("label", ["v²", "v" + HUGE_DIGITS])
def test_kaggle_version_labels(tmp_path: Path, label: str) -> None:
    versions = [{"version": label, "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    assert_skipped(one_kaggle(tmp_path, versions=versions), "bad version")


@pytest.mark.parametrize("label", ["v²", "v" + HUGE_DIGITS])
def test_arxiv_raw_version_labels(label: str) -> None:
    assert_skipped(one_raw(label), "bad version")


# 2. .abs revision lines ------------------------------------------------------------------------


@pytest.mark.parametrize("number", [HUGE_DIGITS, str(2**63), str(MAX_VERSION + 1), "0"])
def test_abs_revision_numbers(tmp_path: Path, number: str) -> None:
    record = one_abs(
        tmp_path,
        "Date: Mon, 2 Apr 2007 19:18:42 GMT   (443kb)",
        f"Date (revised v{number}): Tue, 24 Jul 2007 20:10:27 GMT   (370kb)",
    )
    assert_skipped(record, "bad version")


# 3. email dates that fall outside datetime's range once in UTC ---------------------------------


@pytest.mark.parametrize("text", [LATE_DATE, "Fri, 31 Dec 9999 23:00:00 -0200"])
def test_parse_email_date_out_of_range(text: str) -> None:
    with pytest.raises(RecordError, match="bad date"):
        parse_email_date(text)


def test_kaggle_created_out_of_range(tmp_path: Path) -> None:
    versions = [{"version": "v1", "created": LATE_DATE}]
    assert_skipped(one_kaggle(tmp_path, versions=versions), "bad date")


def test_arxiv_raw_date_out_of_range() -> None:
    assert_skipped(one_raw("v1", LATE_DATE), "bad date")


def test_abs_date_out_of_range(tmp_path: Path) -> None:
    assert_skipped(one_abs(tmp_path, f"Date: {LATE_DATE}   (443kb)"), "bad date")


# 4. ISO datetimes likewise ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [EARLY_ISO, "9999-12-31T23:59:59-01:00"])
def test_parse_iso_datetime_out_of_range(text: str) -> None:
    with pytest.raises(RecordError, match="bad published date"):
        parse_iso_datetime(text, "published")


def test_atom_published_out_of_range() -> None:
    (record,) = parse_atom(atom_feed(EARLY_ISO), "feed")
    assert_skipped(record, "bad published date")


def test_own_format_version_date_out_of_range(tmp_path: Path) -> None:
    record = one_own(tmp_path, versions=[{"version": 1, "created": EARLY_ISO}])
    assert_skipped(record, "bad version date")


def test_own_format_version_dates_are_kept_in_utc(tmp_path: Path) -> None:
    record = one_own(tmp_path, versions=[{"version": 1, "created": "2007-04-02T21:18:42+02:00"}])
    assert isinstance(record, Paper)
    (version,) = record.versions
    assert version.created == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert version.created is not None and version.created.tzinfo is UTC


# 5. version numbers too large to store ---------------------------------------------------------


@pytest.mark.parametrize("number", [2**63, 2**64 - 1, MAX_VERSION + 1])
def test_own_format_version_too_large(tmp_path: Path, number: int) -> None:
    # JSON numbers from 2**64 up are floats to orjson, which the reader refuses as it always did.
    assert_skipped(one_own(tmp_path, version=number), "version must be")
    versions = [{"version": number, "created": None}]
    assert_skipped(one_own(tmp_path, versions=versions), "version must be")


@pytest.mark.parametrize("number", [2**63, 2**64 + 1])
def test_kaggle_version_too_large(tmp_path: Path, number: int) -> None:
    versions = [{"version": f"v{number}", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    assert_skipped(one_kaggle(tmp_path, versions=versions), "bad version")


def test_arxiv_raw_version_too_large() -> None:
    assert_skipped(one_raw(f"v{2**64}"), "bad version")


def test_checked_refuses_a_paper_whose_version_cannot_be_stored() -> None:
    with pytest.raises(RecordError, match="version"):
        checked(Paper(id="2501.00001", title="T", version=2**63))


# Dates the keyword index cannot hold (tantivy: 1677-09-21 to 2262-04-11) --------------------


@pytest.mark.parametrize("day", ["2387-12-20", "0304-04-24", "1799-12-31", "2200-01-01"])
def test_dates_out_of_range_are_refused(tmp_path: Path, day: str) -> None:
    assert_skipped(one_kaggle(tmp_path, versions=[], update_date=day), "out of range")
    assert_skipped(one_own(tmp_path, listed=day), "listed date")
    created = f"{day}T10:00:00+00:00"
    assert_skipped(one_own(tmp_path, versions=[{"version": 1, "created": created}]), "version 1")


def test_dates_at_the_bounds_are_taken(tmp_path: Path) -> None:
    record = one_own(tmp_path, submitted="1800-01-01", listed="2199-12-31")
    assert isinstance(record, Paper)


def test_an_abs_date_out_of_range_is_refused(tmp_path: Path) -> None:
    record = one_abs(tmp_path, "Date: Mon, 2 Apr 2387 19:18:42 GMT   (443kb)")
    assert_skipped(record, "out of range")


# Other values a store cannot take --------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "abstract", "comments", "doi"])
def test_nul_characters_are_refused(tmp_path: Path, field: str) -> None:
    assert_skipped(one_own(tmp_path, **{field: "a\x00b"}), "NUL")


def test_nul_in_an_author_is_refused(tmp_path: Path) -> None:
    assert_skipped(one_own(tmp_path, authors=["A\x00B"]), "NUL")


@pytest.mark.parametrize("size", ["²", HUGE_DIGITS, "-3"])
def test_oai_complete_list_size_that_is_not_a_number(size: str) -> None:
    xml = raw_page("v1").replace(
        b"</ListRecords>",
        f'<resumptionToken completeListSize="{size}">t|1</resumptionToken></ListRecords>'.encode(),
    )
    page = parse_oai_response(xml, "page")
    assert (page.resumption_token, page.complete_list_size) == ("t|1", None)
    assert all(isinstance(r, Paper) for r in page.records)


# Deeply nested affiliations ---------------------------------------------------------------------


def _parentheses_removed_the_old_way(text: str) -> str:
    """What split_authors did before: remove innermost groups until none is left (quadratic)."""
    import re

    while True:
        without = re.sub(r"\([^()]*\)", " ", text)
        if without == text:
            return text
        text = without


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="()ab ,", max_size=40))
def test_affiliations_are_dropped_as_before(text: str) -> None:
    from papersift.sources._fields import _without_parentheses

    assert _without_parentheses(text) == _parentheses_removed_the_old_way(text)


def test_deeply_nested_parentheses_take_linear_time() -> None:
    depth = 1_000_000  # a 4 MB line; the old way took hours
    started = time.perf_counter()
    assert split_authors("A. One " + "(" * depth + "x" + ")" * depth + ", B. Two") == (
        "A. One",
        "B. Two",
    )
    assert time.perf_counter() - started < 5


def test_a_huge_id_is_reported_briefly(tmp_path: Path) -> None:
    record = one_kaggle(tmp_path, id="2501.00001" + "9" * 1_000_000)
    assert_skipped(record, "not an arXiv id: '2501.000019999")
    assert isinstance(record, Malformed) and len(record.reason) < 100
