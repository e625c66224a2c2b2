from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papersift.model import Paper, Version
from papersift.sources import Malformed
from papersift.sources.abs import read_abs

OLD_STYLE = r"""------------------------------------------------------------------------------
\\
Paper: hep-th/9901001
From: Someone <someone@example.org>
Date: Fri, 1 Jan 1999 10:00:00 GMT   (12kb)
Date (revised): Sat, 2 Jan 1999 10:00:00 GMT   (13kb)

Title: An {\em old} paper by Schr\"odinger's
  students
Authors: J. M\"uller (Bonn), A. Smith, Jr. and B. Jones
Comments: 10 pages
Journal-ref: Nucl. Phys. B 1 (1999) 1
\\
  The abstract
of an old paper.
\\
"""


def read_one(path: Path) -> Paper | Malformed:
    (record,) = read_abs(path)
    return record


def test_every_fixture(shared_data: Path) -> None:
    folder = shared_data / "arxiv-fixtures" / "abs"
    papers = {p.name: read_one(p) for p in sorted(folder.glob("*.abs"))}
    assert len(papers) == 6
    assert all(isinstance(p, Paper) for p in papers.values())
    ids = {name: p.id for name, p in papers.items() if isinstance(p, Paper)}
    assert ids == {
        "0509001.abs": "math-ph/0509001",
        "0704.0001.abs": "0704.0001",
        "0704.0002.abs": "0704.0002",
        "2101.04061.abs": "2101.04061",
        "2101.04792.abs": "2101.04792",
        "9411001.abs": "acc-phys/9411001",
    }


def test_fixture_fields(shared_data: Path) -> None:
    paper = read_one(shared_data / "arxiv-fixtures" / "abs" / "0704.0001.abs")
    assert isinstance(paper, Paper)
    assert (
        paper.title == "Calculation of prompt diphoton production cross sections at Tevatron"
        " and\n  LHC energies"
    )
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")
    assert paper.categories == ("hep-ph",)
    assert paper.version == 2
    assert (paper.submitted, paper.updated) == (date(2007, 4, 2), date(2007, 7, 24))
    assert paper.versions[0] == Version(1, datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC))
    assert paper.journal_ref == "Phys.Rev.D76:013009,2007"
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.comments == "37 pages, 15 figures; published version"
    assert paper.abstract.startswith("A fully differential calculation")
    assert paper.abstract.endswith("judicious\nselection of events.")


def test_four_versions(shared_data: Path) -> None:
    paper = read_one(shared_data / "arxiv-fixtures" / "abs" / "2101.04792.abs")
    assert isinstance(paper, Paper)
    assert [v.number for v in paper.versions] == [1, 2, 3, 4]
    assert paper.version == 4
    assert paper.updated == date(2021, 6, 4)
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def test_old_style_paper_line_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "9901001.abs"
    path.write_bytes(OLD_STYLE.replace('J. M\\"uller', "J. Müller").encode("latin-1"))
    paper = read_one(path)
    assert isinstance(paper, Paper)
    assert paper.id == "hep-th/9901001"
    assert paper.categories == ("hep-th",)  # no Categories line: the archive
    assert paper.authors == ("J. Müller", "A. Smith Jr.", "B. Jones")
    assert paper.version == 2
    assert paper.title == "An {\\em old} paper by Schr\\\"odinger's\n  students"
    assert paper.abstract == "The abstract\nof an old paper."
    assert paper.journal_ref == "Nucl. Phys. B 1 (1999) 1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not an .abs file: no \\\\ line before the header"),
        (OLD_STYLE.replace("Paper: hep-th/9901001\n", ""), "no arXiv: or Paper: line"),
        (OLD_STYLE.replace("Title:", "Titel:"), "missing title"),
        (OLD_STYLE.replace("hep-th/9901001", "hep-th/99"), "not an arXiv id: 'hep-th/99'"),
        (
            OLD_STYLE.replace("Fri, 1 Jan 1999", "yesterday"),
            "bad date 'yesterday 10:00:00 GMT   (12kb)'",
        ),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "x.abs"
    path.write_text(text, encoding="utf-8")
    assert read_one(path) == Malformed(str(path), 1, reason, unit="record")


def test_binary_garbage_does_not_raise(tmp_path: Path) -> None:
    path = tmp_path / "x.abs"
    path.write_bytes(bytes(range(256)) * 4)
    assert isinstance(read_one(path), Malformed)
