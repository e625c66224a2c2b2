from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.model import Paper, Version
from papersift.sources import Malformed
from papersift.sources.atom import parse_atom, read_atom

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
<title>ArXiv Query</title><id>http://arxiv.org/api/abc</id>{entries}</feed>"""

REVISED_ENTRY = """<entry><id>http://arxiv.org/abs/2101.04792v4</id>
<updated>2021-06-04T22:20:46Z</updated><published>2021-01-12T22:55:17Z</published>
<title>Learning Efficient Representations for Keyword Spotting with Triplet
  Loss</title><summary>  In the past few years.
</summary><author><name>Roman Vygon</name></author>
<author><name>Nikolay Mikhaylovskiy</name></author>
<arxiv:doi>10.1007/978-3-030-87802-3_69</arxiv:doi>
<arxiv:primary_category term="eess.AS" scheme="http://arxiv.org/schemas/atom"/>
<category term="cs.AI" scheme="http://arxiv.org/schemas/atom"/>
<category term="eess.AS" scheme="http://arxiv.org/schemas/atom"/></entry>"""

ERROR_ENTRY = """<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
<title>Error</title><summary>incorrect id format for 1234.12345</summary>
<updated>2024-01-01T00:00:00-05:00</updated></entry>"""


def test_fixture(shared_data: Path) -> None:
    (path,) = (shared_data / "arxiv-fixtures" / "atom").glob("*.xml")
    records = list(read_atom(path))
    assert len(records) == 10
    assert all(isinstance(r, Paper) for r in records)
    first = records[0]
    assert isinstance(first, Paper)
    assert (first.id, first.version, first.title) == ("1501.05039", 1, "Defining Data Science")
    assert first.authors == ("Yangyong Zhu", "Yun Xiong")
    assert first.categories == ("cs.DB", "cs.CY")
    assert (first.submitted, first.updated) == (date(2015, 1, 21), None)
    by_id = {r.id: r for r in records if isinstance(r, Paper)}
    assert by_id["1503.01162"].doi == "10.1007/s11191-014-9716-8"
    assert (
        by_id["1503.01162"].journal_ref == "Science & Education, September 2014, 23(9): 1853-1873"
    )
    assert by_id["quant-ph/0210005"].categories == ("quant-ph",)
    assert by_id["1802.03292"].categories == ("cs.LO",)  # MSC/ACM classes left out


def test_revised_entry() -> None:
    (paper,) = parse_atom(FEED.format(entries=REVISED_ENTRY).encode(), "x")
    assert isinstance(paper, Paper)
    assert (paper.id, paper.version) == ("2101.04792", 4)
    assert (paper.submitted, paper.updated) == (date(2021, 1, 12), date(2021, 6, 4))
    assert paper.versions == (
        Version(1, datetime(2021, 1, 12, 22, 55, 17, tzinfo=UTC)),
        Version(4, datetime(2021, 6, 4, 22, 20, 46, tzinfo=UTC)),
    )
    assert paper.categories == ("eess.AS", "cs.AI")
    assert paper.title.endswith("Triplet\n  Loss")
    assert paper.abstract == "In the past few years."


def test_api_error_entry_is_malformed() -> None:
    records = parse_atom(FEED.format(entries=ERROR_ENTRY + REVISED_ENTRY).encode(), "query")
    assert records[0] == Malformed(
        "query", 1, "arXiv API error: incorrect id format for 1234.12345", unit="record"
    )
    assert isinstance(records[1], Paper)


def test_empty_feed_and_bad_xml() -> None:
    assert parse_atom(FEED.format(entries="").encode(), "x") == []
    (bad,) = parse_atom(b"<feed><entry>", "x")
    assert isinstance(bad, Malformed) and bad.reason.startswith("not well-formed XML")
    (other,) = parse_atom(b"<rss/>", "x")
    assert isinstance(other, Malformed) and "not an Atom feed" in other.reason


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    for xml in (text.encode(), FEED.format(entries=f"<entry>{text}</entry>").encode()):
        assert all(isinstance(r, Paper | Malformed) for r in parse_atom(xml, "fuzz"))
