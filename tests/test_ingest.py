"""Ingesting through the engine: every shared format, idempotence, versions, interruptions."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.errors import MalformedRecordError, UnknownFormatError
from tests.conftest import make_paper, write_jsonl

KAGGLE_LINE = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": (
        "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies"
    ),
    "comments": "37 pages, 15 figures",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": None,
    "categories": "hep-ph",
    "license": None,
    "abstract": "  A fully differential calculation in perturbative QCD\nis presented.\n",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [["Balázs", "C.", ""], ["Berger", "E. L.", ""]],
}


@pytest.mark.parametrize("folder", ["oai-pmh", "atom", "abs"])
def test_shared_fixtures_ingest_and_reingest_changes_nothing(
    engine: Engine, shared_data: Path, folder: str
) -> None:
    first = engine.ingest([shared_data / "arxiv-fixtures" / folder])
    assert first.added > 0 and first.malformed == 0, first.problems
    stored = engine.papers.count()
    second = engine.ingest([shared_data / "arxiv-fixtures" / folder])
    assert (second.added, second.updated) == (0, 0)
    assert engine.papers.count() == stored
    assert engine.pending_index_updates() == 0


def test_sample_slice_and_beir_corpus(engine: Engine, shared_data: Path, tmp_path: Path) -> None:
    lines = []
    with gzip.open(shared_data / "arxiv-sample.jsonl.gz", "rt") as handle:
        for _ in range(300):
            lines.append(handle.readline())
    sample = tmp_path / "slice.jsonl.gz"
    with gzip.open(sample, "wt") as handle:
        handle.writelines(lines)
    report = engine.ingest([sample, shared_data / "scifact" / "corpus.jsonl"])
    assert report.added == 300 + 5183 and report.malformed == 0
    paper = engine.paper(json.loads(lines[0])["id"])
    assert paper.listed is not None and paper.categories
    assert engine.paper("scifact:4983").source == "beir:scifact"


def test_kaggle_snapshot_line(engine: Engine, tmp_path: Path) -> None:
    engine.ingest([write_jsonl(tmp_path / "kaggle.json", [KAGGLE_LINE])])
    paper = engine.paper("0704.0001")
    assert paper.version == 2 and [v.number for v in paper.versions] == [1, 2]
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.submitted == date(2007, 4, 2)
    assert [r.paper.id for r in engine.search("diphoton tevatron")] == ["0704.0001"]


def test_newer_version_replaces_the_older_and_keeps_history(engine: Engine, tmp_path: Path) -> None:
    old = dict(KAGGLE_LINE, versions=KAGGLE_LINE["versions"][:1], title="Old title")
    engine.ingest([write_jsonl(tmp_path / "v1.json", [old])])
    assert engine.paper("0704.0001").title == "Old title"
    report = engine.ingest([write_jsonl(tmp_path / "v2.json", [KAGGLE_LINE])])
    assert report.updated == 1
    paper = engine.paper("0704.0001")
    assert paper.version == 2 and paper.title.startswith("Calculation")
    # an older version arriving later changes nothing
    assert engine.ingest([tmp_path / "v1.json"]).updated == 0
    assert engine.paper("0704.0001").version == 2


def test_bad_records_are_counted_and_good_ones_kept(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    huge = make_paper("2501.00009", abstract="x" * 10_000_000).to_dict()
    lines = [
        json.dumps(make_paper("2501.00001").to_dict()),
        '{"id": "2501.00002", "title": "trunc',
        json.dumps({"id": "2501.00003", "abstract": "no title"}),
        json.dumps(huge),
        json.dumps(make_paper("2501.00001", title="dup").to_dict()),
        json.dumps(make_paper("2501.00004").to_dict()),
    ]
    path.write_text("\n".join(lines) + "\n")
    report = engine.ingest([path])
    assert report.malformed == 3
    assert [p.position for p in report.problems] == [2, 3, 4]
    assert report.duplicates == 1
    assert engine.papers.count() == 2


def test_strict_run_commits_nothing(engine: Engine, tmp_path: Path) -> None:
    papers = [make_paper(f"2501.{n:05d}").to_dict() for n in range(1, 20)]
    path = tmp_path / "strict.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in papers) + "\n<not json>\n")
    small_batches = engine.settings.model_copy(update={"ingest_batch_size": 5})
    strict_engine = Engine(small_batches)
    with pytest.raises(MalformedRecordError, match="line 20"):
        strict_engine.ingest([path], strict=True)
    assert strict_engine.papers.count() == 0


def test_interrupted_ingest_keeps_whole_batches_and_rerun_completes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "many.jsonl", [make_paper(f"2502.{n:05d}") for n in range(50)])
    small = Engine(engine.settings.model_copy(update={"ingest_batch_size": 10}))
    from papersift import engine as engine_module

    real_read = engine_module.read_path

    def read_then_crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        for number, record in enumerate(real_read(*args, **kwargs)):
            if number == 25:
                raise KeyboardInterrupt
            yield record

    monkeypatch.setattr(engine_module, "read_path", read_then_crash)
    with pytest.raises(KeyboardInterrupt):
        small.ingest([path])
    assert small.papers.count() == 20  # two whole batches, nothing half-written
    monkeypatch.setattr(engine_module, "read_path", real_read)
    report = small.ingest([path])
    assert (report.added, report.unchanged) == (30, 20)
    assert len(small.search("2502", k=100)) <= 50


def test_unknown_file_format_fails_before_writing(engine: Engine, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [make_paper("2501.00001")])
    strange = tmp_path / "notes.txt"
    strange.write_text("hello, this is not a paper file\n")
    with pytest.raises(UnknownFormatError, match=r"notes\.txt"):
        engine.ingest([good, strange])
    assert engine.papers.count() == 0


def test_untitled_test_collection_documents_are_kept(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "fiqa"
    folder.mkdir()
    lines = [
        {"_id": "7", "title": "", "text": "Stock options and taxes."},
        {"_id": "8", "title": ""},
    ]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    report = engine.ingest([folder / "corpus.jsonl"])
    assert (report.added, report.malformed) == (1, 1)
    assert [r.paper.id for r in engine.search("stock options")] == ["fiqa:7"]
