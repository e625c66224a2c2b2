"""Evaluation on a hand-made BEIR collection, and the SciFact bar when the shared data is here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.errors import CollectionError
from papersift.evaluation import evaluate_collection, load_collection
from papersift.settings import Settings


def _collection(root: Path, *, header: bool = True) -> Path:
    root.mkdir()
    docs = [
        {"_id": "d1", "title": "Vitamin D and bone health", "text": "Vitamin D improves bones."},
        {"_id": "d2", "title": "Coffee and sleep", "text": "Caffeine disturbs sleep."},
        {"_id": "d3", "title": "Exercise and mood", "text": "Running improves mood."},
    ]
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs))
    queries = [{"_id": "q1", "text": "does caffeine affect sleep"}, {"_id": "q2", "text": "bones"}]
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    rows = (["query-id\tcorpus-id\tscore"] if header else []) + ["q1\td2\t1", "q2\td1\t1"]
    (root / "qrels.tsv").write_text("\n".join(rows) + "\n")
    return root


def test_perfect_ranking_scores_one(tmp_path: Path) -> None:
    result = evaluate_collection(_collection(tmp_path / "tiny"))
    assert result.queries == 2 and result.documents == 3
    assert result.metrics["ndcg@10"] == pytest.approx(1.0)
    assert result.metrics["mrr@10"] == pytest.approx(1.0)
    assert result.metrics["hits@1"] == pytest.approx(1.0)
    assert set(result.to_dict()) >= {
        "ndcg@10",
        "recall@10",
        "recall@100",
        "map",
        "mrr@10",
        "hits@1",
        "hits@10",
    }


def test_qrels_without_header(tmp_path: Path) -> None:
    collection = load_collection(_collection(tmp_path / "tiny", header=False))
    assert collection.qrels == {"q1": {"d2": 1}, "q2": {"d1": 1}}


def test_missing_files_are_named(tmp_path: Path) -> None:
    root = _collection(tmp_path / "tiny")
    (root / "qrels.tsv").unlink()
    with pytest.raises(CollectionError, match="qrels"):
        load_collection(root)
    with pytest.raises(CollectionError, match="train"):
        load_collection(_collection(tmp_path / "other"), split="train")


@pytest.mark.slow
def test_scifact_bm25_meets_the_bar(shared_data: Path) -> None:
    result = evaluate_collection(shared_data / "scifact", mode="bm25")
    assert result.queries == 300
    assert result.metrics["ndcg@10"] >= 0.665


def test_a_named_store_holds_the_collection(tmp_path: Path, settings: Settings) -> None:
    # The suite's store: PostgreSQL (database indexes) in the PostgreSQL pass.
    result = evaluate_collection(
        _collection(tmp_path / "tiny"), settings=settings, store_url=settings.store_url
    )
    assert result.metrics["ndcg@10"] == pytest.approx(1.0)
    engine = Engine(settings)
    assert engine.papers.count() == 3
    engine.close()
    assert not list(settings.data_dir.rglob("eval.db"))  # no SQLite file beside it
