"""`papersift eval --adapt`: the encoder is adapted to the collection's corpus and nothing else
(never its queries) before the run, and the result says which adapted model it measured."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import papersift.embeddings.adapt as adapt_package
from papersift.cli import main
from tests.test_adapt import make_corpus, make_tiny_model, sentence

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("ir_measures")


def write_collection(directory: Path) -> tuple[list[dict[str, str]], list[str]]:
    """A BEIR-layout collection of the tiny corpus; each query is a new sentence of a topic."""
    directory.mkdir()
    corpus = [
        {"_id": f"d{number}", "title": doc.title, "text": doc.abstract, "topic": str(topic)}
        for number, (topic, doc) in enumerate(make_corpus(docs_per_topic=1))
    ]
    generator = random.Random(7)
    queries = [sentence(int(doc["topic"]), generator) for doc in corpus]
    lines = [json.dumps({k: v for k, v in doc.items() if k != "topic"}) for doc in corpus]
    (directory / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": f"q{n}", "text": q}) for n, q in enumerate(queries)) + "\n",
        encoding="utf-8",
    )
    qrels = [f"q{n}\t{doc['_id']}\t1" for n, doc in enumerate(corpus)]
    (directory / "qrels.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    return corpus, queries


def test_eval_adapt_adapts_on_the_corpus_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = make_tiny_model(tmp_path / "tiny-bert")
    corpus, queries = write_collection(tmp_path / "tiny")
    seen: list[Any] = []
    real_adapt = adapt_package.adapt_model

    def spy(documents: Any, *args: Any, **kwargs: Any) -> Any:
        seen.extend(documents)
        return real_adapt(documents, *args, **kwargs)

    monkeypatch.setattr(adapt_package, "adapt_model", spy)
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    environment = {
        "PAPERSIFT_EMBEDDER_MODEL": str(base),
        "PAPERSIFT_MODEL_CACHE_DIR": str(tmp_path / "models"),
        "PAPERSIFT_EMBEDDER_BACKEND": None,
    }
    arguments = ["--data-dir", str(tmp_path / "data"), "eval", str(tmp_path / "tiny")]
    result = CliRunner().invoke(
        main, [*arguments, "--mode", "dense", "--adapt", "--json"], env=environment
    )
    assert result.exit_code == 0, result.output
    measured = json.loads(result.stdout)
    assert measured["embedder"].startswith("tiny-bert-adapted-")
    assert Path(measured["adapted_model"]).is_dir()
    assert [(d.title, d.abstract) for d in seen] == [(d["title"], d["text"]) for d in corpus]
    pairs = next((tmp_path / "data" / "eval" / "adapt").glob("*/pairs.json")).read_text()
    assert not any(query in pairs for query in queries)

    raw = CliRunner().invoke(main, [*arguments, "--mode", "dense", "--json"], env=environment)
    assert raw.exit_code == 0, raw.output
    assert json.loads(raw.stdout)["embedder"] == "tiny-bert:onnx-int8"
