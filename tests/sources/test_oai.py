from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.model import Paper, Version
from papersift.sources import Malformed
from papersift.sources.oai import OAIPage, parse_oai_response, read_oai

OAI = "http://www.openarchives.org/OAI/2.0/"


def response(body: str, *, records: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="{OAI}"><responseDate>2024-01-01T00:00:00Z</responseDate>
<request verb="ListRecords">http://export.arxiv.org/oai2</request>
{"<ListRecords>" + records + body + "</ListRecords>" if records else body}
</OAI-PMH>""".encode()


ARXIV_RAW_RECORD = r"""<record><header><identifier>oai:arXiv.org:0704.0001</identifier>
<datestamp>2008-11-13</datestamp><setSpec>physics:hep-ph</setSpec></header>
<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">
<id>0704.0001</id><submitter>Pavel Nadolsky</submitter>
<version version="v1"><date>Mon, 2 Apr 2007 19:18:42 GMT</date><size>443kb</size>
<source_type>D</source_type></version>
<version version="v2"><date>Tue, 24 Jul 2007 20:10:27 GMT</date><size>370kb</size>
<source_type>D</source_type></version>
<title>Calculation of prompt diphoton production cross sections at Tevatron and
  LHC energies</title>
<authors>C. Bal\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan</authors>
<categories>hep-ph</categories><comments>37 pages, 15 figures; published version</comments>
<report-no>ANL-HEP-PR-07-12</report-no><journal-ref>Phys.Rev.D76:013009,2007</journal-ref>
<doi>10.1103/PhysRevD.76.013009</doi>
<abstract>  A fully differential calculation in perturbative quantum chromodynamics is
presented for the production of massive photon pairs at hadron colliders.
</abstract></arXivRaw></metadata></record>"""

ARXIV_RECORD = """<record><header><identifier>oai:arXiv.org:{id}</identifier>
<datestamp>2018-01-25</datestamp></header><metadata>
<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{id}</id><created>2014-01-09</created>
<authors><author><keyname>Sergyeyev</keyname><forenames>A.</forenames></author>
<author><keyname>Smith</keyname><forenames>John</forenames><suffix>Jr</suffix></author></authors>
<title>{title}</title><categories>math.AP hep-th math.AP</categories>
<abstract>An abstract.</abstract></arXiv></metadata></record>"""

DELETED_RECORD = """<record><header status="deleted">
<identifier>oai:arXiv.org:1401.0001</identifier>
<datestamp>2018-01-25</datestamp></header></record>"""


def test_every_fixture_parses(shared_data: Path) -> None:
    files = sorted((shared_data / "arxiv-fixtures" / "oai-pmh").glob("*.xml"))
    assert len(files) == 15
    records = [record for file in files for record in read_oai(file)]
    assert len(records) == 30
    assert all(isinstance(r, Paper) for r in records)


def test_fixture_fields(shared_data: Path) -> None:
    name = "functional__arxiv__fixtures__http_server__records__arxiv-single.xml"
    path = shared_data / "arxiv-fixtures" / "oai-pmh" / name
    (paper,) = read_oai(path)
    assert isinstance(paper, Paper)
    assert paper.id == "1401.2122"
    assert paper.title == "New integrable (3+1)-dimensional systems and contact geometry"
    assert paper.authors == ("A. Sergyeyev",)
    assert paper.categories == ("math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI")
    assert (paper.submitted, paper.updated, paper.listed) == (
        date(2014, 1, 9),
        date(2017, 10, 23),
        None,
    )
    assert paper.doi == "10.1007/s11005-017-1013-4"
    assert paper.journal_ref == "Lett. Math. Phys. 108 (2018), no. 2, 359-376"
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert paper.comments is not None and paper.comments.startswith("16 pages, LaTeX")
    assert paper.abstract.startswith("We introduce a novel systematic construction")
    assert paper.source == "arxiv"


def test_arxiv_element_without_its_own_namespace(shared_data: Path) -> None:
    # The first record of this fixture has <arXiv> in the OAI namespace.
    path = shared_data / "arxiv-fixtures/oai-pmh/unit__responses__arxiv__sample_arxiv_record.xml"
    first = next(read_oai(path))
    assert isinstance(first, Paper)
    assert first.id == "1601.03238"
    assert first.authors[0] == "Planck Collaboration"


def test_arxiv_format_authors_and_categories() -> None:
    page = parse_oai_response(
        response("", records=ARXIV_RECORD.format(id="1401.2122", title="T")), "x"
    )
    (paper,) = page.records
    assert isinstance(paper, Paper)
    assert paper.authors == ("A. Sergyeyev", "John Smith Jr")
    assert paper.categories == ("math.AP", "hep-th")
    assert paper.versions == ()


def test_arxiv_raw_format() -> None:
    page = parse_oai_response(response("", records=ARXIV_RAW_RECORD), "x")
    (paper,) = page.records
    assert paper == Paper(
        id="0704.0001",
        title="Calculation of prompt diphoton production cross sections at Tevatron and\n"
        "  LHC energies",
        abstract="A fully differential calculation in perturbative quantum chromodynamics is\n"
        "presented for the production of massive photon pairs at hadron colliders.",
        authors=("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"),
        categories=("hep-ph",),
        version=2,
        submitted=date(2007, 4, 2),
        updated=date(2007, 7, 24),
        doi="10.1103/PhysRevD.76.013009",
        journal_ref="Phys.Rev.D76:013009,2007",
        comments="37 pages, 15 figures; published version",
        versions=(
            Version(1, datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
            Version(2, datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
        ),
    )


def test_resumption_token_deleted_and_bad_records() -> None:
    records = (
        ARXIV_RECORD.format(id="1401.2122", title="Good")
        + DELETED_RECORD
        + ARXIV_RECORD.format(id="1401.2123", title="")
        + ARXIV_RECORD.format(id="not-an-id", title="T")
    )
    token = '<resumptionToken cursor="0" completeListSize="3120">6960524|1001</resumptionToken>'
    page = parse_oai_response(response(token, records=records), "page-1")
    assert page.resumption_token == "6960524|1001"
    assert page.complete_list_size == 3120
    assert page.error_code is None
    assert [type(r).__name__ for r in page.records] == ["Paper", "Malformed", "Malformed"]
    assert page.records[1] == Malformed("page-1", 3, "missing title", unit="record")
    assert page.records[2] == Malformed("page-1", 4, "not an arXiv id: 'not-an-id'", unit="record")


def test_last_page_has_an_empty_token() -> None:
    token = '<resumptionToken completeListSize="2" cursor="1"/>'
    page = parse_oai_response(
        response(token, records=ARXIV_RECORD.format(id="1401.2122", title="T")), "x"
    )
    assert (page.resumption_token, page.complete_list_size) == (None, 2)


def test_no_records_match_is_an_empty_page() -> None:
    page = parse_oai_response(response('<error code="noRecordsMatch">nothing there</error>'), "x")
    assert page == OAIPage([], None, None, "noRecordsMatch", "nothing there")


def test_bad_resumption_token_is_reported(tmp_path: Path) -> None:
    xml = response('<error code="badResumptionToken">expired</error>')
    page = parse_oai_response(xml, "x")
    assert (page.records, page.error_code, page.error_message) == (
        [],
        "badResumptionToken",
        "expired",
    )
    path = tmp_path / "error.xml"
    path.write_bytes(xml)
    assert list(read_oai(path)) == [
        Malformed(str(path), 0, "OAI-PMH error badResumptionToken: expired", unit="record")
    ]


def test_not_well_formed_xml_gives_one_malformed(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(response("", records=ARXIV_RECORD.format(id="1401.2122", title="T"))[:-40])
    (record,) = read_oai(path)
    assert isinstance(record, Malformed)
    assert record.reason.startswith("not well-formed XML")
    assert record.position > 0  # the line lxml gave up on


def test_entities_are_not_expanded() -> None:
    xml = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>
<record><metadata><arXiv><id>1401.2122</id><title>&e;</title></arXiv></metadata></record>
</ListRecords></OAI-PMH>"""
    (record,) = parse_oai_response(xml, "x").records
    assert isinstance(record, Malformed) or "root:" not in record.title


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_never_raises_on_arbitrary_input(data: str | bytes) -> None:
    xml = data.encode() if isinstance(data, str) else data
    page = parse_oai_response(xml, "fuzz")
    assert all(isinstance(r, Paper | Malformed) for r in page.records)
    wrapped = parse_oai_response(
        response("", records=data if isinstance(data, str) else ""), "fuzz"
    )
    assert all(isinstance(r, Paper | Malformed) for r in wrapped.records)
