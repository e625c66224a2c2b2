"""The quick benchmark's relevance gate and the printed tables (bench/suite/report.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.suite.report import RELEVANCE_FLOORS, print_relevance, print_size, relevance_failures


def _relevance(**ndcg: float) -> dict[str, Any]:
    rows = {name: {"ndcg@10": value, "recall@100": 0.9} for name, value in ndcg.items()}
    return {"rows": rows, "queries": 300, "documents": 5183}


def _at_floors(delta: float) -> dict[str, Any]:
    return _relevance(**{name: floor + delta for name, floor in RELEVANCE_FLOORS.items()})


def test_relevance_at_or_above_the_floors_passes() -> None:
    assert relevance_failures(_at_floors(0.0)) == []


def test_a_drop_below_a_floor_fails_naming_the_mode() -> None:
    relevance = _at_floors(0.01)
    relevance["rows"]["papersift hybrid"]["ndcg@10"] = RELEVANCE_FLOORS["papersift hybrid"] - 0.01
    failures = relevance_failures(relevance)
    assert len(failures) == 1
    assert "papersift hybrid" in failures[0]


def test_a_missing_mode_fails() -> None:
    relevance = _at_floors(0.01)
    del relevance["rows"]["papersift dense"]
    assert relevance_failures(relevance) == ["papersift dense: no SciFact result"]


def _latency(p50: float) -> dict[str, float]:
    return {"p50_ms": p50, "p99_ms": p50 * 3}


def test_the_size_table_shows_ratios_of_peer_to_papersift(
    capsys: pytest.CaptureFixture[str],
) -> None:
    results = {
        "papersift-keyword": {
            "papers": 1000, "ingest_s": 1.0, "keyword_index_s": 1.0, "peak_rss_mb": 512.0,
        },
        "papersift-search": {"rows": {"keyword": _latency(2.0), "similar": _latency(5.0)}},
        "lucene": {"index_s": 4.0, "java_peak_rss_mb": 300.0, "search": _latency(3.0),
                   "peak_rss_mb": 400.0},
        "tfidf": {"build_s": 2.0, "similar": _latency(50.0), "peak_rss_mb": 100.0},
    }  # fmt: skip
    print_size(1000, results)
    out = capsys.readouterr().out
    assert "1.50x" in out  # Lucene 3.0 ms against papersift's 2.0 ms
    assert "10.00x" in out  # TF-IDF similar 50 ms against 5 ms
    assert "500" in out  # papers/s of ingest + index: 1,000 papers in 2 s
    print_relevance(_relevance(**{"papersift bm25": 0.6784}))
    assert "0.6784" in capsys.readouterr().out
