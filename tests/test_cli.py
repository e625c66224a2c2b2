"""The CLI as a user drives it, in-process through click's runner."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from papersift.cli import main
from tests.conftest import make_paper, write_jsonl


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")
    data_dir = tmp_path / "data"

    def invoke(*args: str, expect: int = 0):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])
        assert result.exit_code == expect, result.output
        return result

    return invoke


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    papers = [
        make_paper(
            "2501.00001", title="Sparse attention for long documents", categories=("cs.CL",)
        ),
        make_paper("2501.00002", title="Convolutional networks for images", categories=("cs.CV",)),
    ]
    return write_jsonl(tmp_path / "papers.jsonl", papers)


def test_ingest_then_search(run, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    output = run("ingest", str(corpus)).output
    assert "2 added" in output and "2 indexed" in output
    assert "2 unchanged" in run("ingest", str(corpus)).output
    table = run("search", "sparse attention").output
    assert "2501.00001" in table and "Sparse attention" in table
    lines = run("search", "networks", "--json").output.splitlines()
    assert json.loads(lines[0])["id"] == "2501.00002"
    assert run("search", "networks", "--category", "cs.CL").output.strip() == "no papers match"


def test_malformed_records_are_reported_and_skipped(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    good = make_paper("2501.00003").to_dict()
    bad.write_text(json.dumps(good) + "\n{truncated\n" + json.dumps({"id": "2501.00004"}) + "\n")
    result = run("ingest", str(bad))
    assert "1 added" in result.output and "2 malformed" in result.output
    assert "bad.jsonl: line 2" in result.stderr


def test_strict_mode_writes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(make_paper("2501.00005").to_dict()) + "\n{truncated\n")
    result = run("ingest", "--strict", str(bad), expect=1)
    assert "line 2" in result.output and "nothing was written" in result.output
    assert "papers:         0" in run("stats").output


def test_show_and_unknown_ids(run, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(corpus))
    assert "Sparse attention" in run("show", "2501.00001").output
    assert json.loads(run("show", "2501.00001", "--json").output)["id"] == "2501.00001"
    assert "no paper with id" in run("show", "9999.99999", expect=1).output


def test_bad_options_are_usage_errors(run, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(corpus))
    assert (
        "since"
        in run("search", "x", "--since", "2026-02-01", "--until", "2026-01-01", expect=2).output
    )
    assert "unknown search mode" in run("search", "x", "--mode", "nope", expect=2).output
    run("search", "x", "--since", "yesterday", expect=2)


def test_similar_without_semantic_search_uses_shared_terms(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    papers = [
        make_paper("2501.00011", title="Sparse attention transformers", abstract="long context"),
        make_paper("2501.00012", title="Sparse attention for speech", abstract="long audio"),
        make_paper("2501.00013", title="Protein folding", abstract="amino acids"),
    ]
    run("ingest", str(write_jsonl(tmp_path / "p.jsonl", papers)))
    lines = run("similar", "2501.00011", "--json").output.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["2501.00012"]
    assert "no paper with id" in run("similar", "2501.99999", expect=1).output
    fallback = run("search", "x", "--mode", "semantic").output
    assert "not switched on here; showing keyword results" in fallback
    assert "unknown search mode 'bogus'" in run("search", "x", "--mode", "bogus", expect=2).output


def test_interactive_search(run, corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(corpus))
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "data"), "search"], input="attention\n\n"
    )
    assert result.exit_code == 0 and "2501.00001" in result.output


def test_invalid_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIFT_HARVEST_DELAY", "soon")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "stats"])
    assert result.exit_code == 1 and "PAPERSIFT_HARVEST_DELAY" in result.output


def test_search_sorts_by_date(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    papers = [
        make_paper("2501.00001", title="Attention, attention, attention", listed=date(2025, 1, 2)),
        make_paper("2501.00002", title="Attention for images", listed=date(2025, 1, 9)),
    ]
    run("ingest", str(write_jsonl(tmp_path / "papers.jsonl", papers)))

    def ranked(*options: str) -> list[str]:
        lines = run("search", "attention", "--json", *options).output.splitlines()
        return [json.loads(line)["id"] for line in lines]

    assert ranked() == ["2501.00001", "2501.00002"]
    assert ranked("--sort", "date") == ["2501.00002", "2501.00001"]
    assert ranked("--sort", "relevance") == ranked()
    assert "citations" in run("search", "x", "--sort", "citations", expect=2).output


def test_show_lists_code_and_project_links(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    abstract = "Code: https://github.com/lab/tool. Project page: https://lab.github.io/tool/."
    corpus = tmp_path / "linked.jsonl"
    corpus.write_text(json.dumps(make_paper("2501.00031", abstract=abstract).to_dict()) + "\n")
    run("ingest", str(corpus))
    shown = run("show", "2501.00031").output
    assert "code:    https://github.com/lab/tool" in shown
    assert "project: https://lab.github.io/tool/" in shown
    links = json.loads(run("show", "2501.00031", "--json").output)["links"]
    assert [link["kind"] for link in links] == ["code", "project"]
