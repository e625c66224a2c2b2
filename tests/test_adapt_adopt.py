"""Adopting an adapted encoder: `papersift adapt` on the deployment's papers, then
`papersift index --rebuild` with PAPERSIFT_EMBEDDER_MODEL naming the adapted model embeds every
paper again with it (onnx-int8), the vector index records it, and later papers are embedded with it
by the ordinary incremental `papersift index`. A tiny random BERT stands in for the real model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from papersift.cli import main
from papersift.cli_adapt import adapt
from papersift.settings import load_settings
from tests.conftest import make_paper, write_jsonl
from tests.test_adapt import make_corpus, make_tiny_model

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def test_an_adapted_model_is_adopted_by_a_rebuild_then_kept_incrementally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = make_tiny_model(tmp_path / "tiny-bert")
    data_dir = tmp_path / "data"
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.delenv("PAPERSIFT_EMBEDDER_BACKEND", raising=False)
    monkeypatch.setenv("PAPERSIFT_MODEL_CACHE_DIR", str(tmp_path / "models"))
    papers = [
        make_paper(f"2601.{number:05d}", title=doc.title, abstract=doc.abstract)
        for number, (_, doc) in enumerate(make_corpus(), start=1)
    ]

    def run(*args: str, model: str | None, expect: int = 0) -> Result:
        environment = {"PAPERSIFT_EMBEDDER_MODEL": model}
        result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], env=environment)
        assert result.exit_code == expect, result.output
        return result

    run("ingest", "--no-index", str(write_jsonl(tmp_path / "a.jsonl", papers[:-1])), model=None)
    run("index", model=str(base))
    assert stats(run("stats", "--json", model=None))["embedder"] == f"{base} (onnx-int8)"

    settings = load_settings(data_dir=data_dir)  # as `papersift adapt` gets it from main
    adapted_run = CliRunner().invoke(adapt, ["--max-steps", "2"], obj={"settings": settings})
    assert adapted_run.exit_code == 0, adapted_run.output
    found = re.search(r"adapted model: (\S+)", adapted_run.output)
    assert found, adapted_run.output
    adapted = found.group(1)
    assert f"PAPERSIFT_EMBEDDER_MODEL={adapted} papersift index --rebuild" in adapted_run.output

    refused = run("index", model=adapted, expect=1).output
    assert "papersift index --rebuild" in refused
    run("index", "--rebuild", model=adapted)
    semantic = stats(run("stats", "--json", model=None))
    assert semantic["embedder"] == f"{adapted} (onnx-int8)"
    assert semantic["embedded"] == len(papers) - 1

    run("ingest", "--no-index", str(write_jsonl(tmp_path / "b.jsonl", papers[-1:])), model=None)
    run("index", model=None)  # the index's own embedder: the adapted model
    semantic = stats(run("stats", "--json", model=adapted))
    assert semantic["embedder"] == f"{adapted} (onnx-int8)"
    assert semantic["embedded"] == len(papers)
    search = run("search", papers[-1].title, "--mode", "dense", "--json", model=None)
    assert [json.loads(line)["id"] for line in search.stdout.splitlines()]


def stats(result: Result) -> dict[str, object]:
    semantic: dict[str, object] = json.loads(result.stdout)["semantic"]
    return semantic
