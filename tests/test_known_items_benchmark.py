"""The query-kinds benchmark (bench/query_kinds.py) in small, as a CI gate: keyword search on a
3,000-paper slice of the arXiv sample must keep finding titles, ids and authors. It fails on a
relevance regression, never on timings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import query_kinds
from papersift.sources.arxiv_ids import canonical_arxiv_id

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

# Measured (seed 1): 1.0 for titles and ids; authors hits@1 0.983, MRR 0.992, nDCG@10 0.955.
# Deterministic, so the margins only leave room for deliberate ranking changes.
FLOORS = {
    "title": {"hits@1": 0.98},
    "title-altered": {"hits@1": 0.95, "mrr": 0.97},
    "id": {"hits@1": 1.0, "mrr": 1.0},
    "author": {"hits@1": 0.90, "mrr": 0.93, "ndcg@10": 0.90},
}


def test_small_query_kinds_benchmark_keeps_its_floors(shared_data: Path, tmp_path: Path) -> None:
    report = query_kinds.measure(
        papers=3000, modes=["bm25"], titles=200, ids=100, authors=60, seed=1,
        work=tmp_path, sample=shared_data / "arxiv-sample.jsonl.gz",
    )  # fmt: skip
    results = report["results"]["bm25"]
    assert report["setup"]["papers"] == 3000
    assert report["setup"]["queries"]["id"] == 100 and report["setup"]["queries"]["author"] == 60
    below = [
        f"{kind} {measure} {results[kind][measure]:.4f} < {floor}"
        for kind, floors in FLOORS.items()
        for measure, floor in floors.items()
        if results[kind][measure] < floor
    ]
    assert not below, "relevance regression: " + "; ".join(below)


def test_queries_are_deterministic_and_well_formed(shared_data: Path) -> None:
    records = query_kinds.load_sample(shared_data / "arxiv-sample.jsonl.gz")[:2000]
    corpus = query_kinds.choose_corpus(records, 1000, seed=3)
    assert corpus == query_kinds.choose_corpus(records, 1000, seed=3)
    first = query_kinds.make_queries(corpus, titles=100, ids=50, authors=20, seed=3)
    assert first == query_kinds.make_queries(corpus, titles=100, ids=50, authors=20, seed=3)
    ids = {record["id"] for record in corpus}
    for query in first:
        assert query.relevant and set(query.relevant) <= ids
        if query.kind == "author":
            low, high = query_kinds.AUTHOR_PAPERS
            assert low <= len(query.relevant) <= high
        if query.kind == "id":
            assert canonical_arxiv_id(query.text) == next(iter(query.relevant))
        if query.kind == "title-lower":
            assert query.text == query.text.lower()
        if query.kind == "title-nopunct":
            assert re.fullmatch(r"[\w ]+", query.text)
    kinds = {query.kind for query in first}
    assert kinds == {*query_kinds.TITLE_KINDS, "id", "author"}
