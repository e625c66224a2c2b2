"""The vector-scale benchmark's own parts: vectors embedded chunk by chunk (an interrupted run
keeps its finished chunks) and the exact top 10 it measures recall against."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from bench import vector_scale
from bench.corpus import corpus_path
from bench.suite.context import Context
from tests.conftest import make_paper


class CountingEmbedder:
    """One-hot-ish vectors from each text's length; fails after ``fail_after`` calls."""

    identity = "counting"
    dimension = 4

    def __init__(self, fail_after: int | None = None) -> None:
        self.texts: list[str] = []
        self.fail_after = fail_after

    def embed(self, texts: list[str], **_: Any) -> np.ndarray:
        if self.fail_after is not None and len(self.texts) >= self.fail_after:
            raise KeyboardInterrupt
        self.texts += texts
        rows = np.array([[len(t), 1.0, t.count("a"), 2.0] for t in texts], np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _context(work: Path, papers: int) -> Context:
    context = Context.static(papers, work)
    records = [
        make_paper(f"2601.{n:05d}", title=f"Paper {'a' * n}", listed=date(2026, 1, 1 + n))
        for n in range(papers)
    ]
    corpus = corpus_path(work, papers, context.seed)
    with gzip.open(corpus, "wb") as handle:
        handle.write(b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in records))
    return context


def test_an_interrupted_embedding_resumes_with_the_chunks_it_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_scale, "CHUNK", 2)
    context = _context(tmp_path, 5)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(KeyboardInterrupt):
        vector_scale._embedded_corpus(context, CountingEmbedder(fail_after=4), folder)  # type: ignore[arg-type]
    assert sorted(path.name for path in folder.iterdir()) == [
        "vectors-0000.npy",
        "vectors-0001.npy",
    ]

    resumed = CountingEmbedder()
    corpus = vector_scale._embedded_corpus(context, resumed, folder)  # type: ignore[arg-type]
    assert len(resumed.texts) == 1  # only the last chunk's one paper
    fresh = vector_scale._embedded_corpus(context, CountingEmbedder(), tmp_path)  # type: ignore[arg-type]
    assert np.array_equal(corpus.vectors, fresh.vectors)
    assert corpus.ids == [f"2601.{n:05d}" for n in range(5)]
    assert corpus.dates[3] == date(2026, 1, 4) and corpus.categories[0] == ("cs.CL",)


def test_the_exact_top_10_is_the_brute_force_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(500, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"p{n}" for n in range(500)]
    corpus = vector_scale.Corpus(ids, vectors, [None] * 500, [()] * 500, "x")
    queries = vectors[:60] + 0.1 * rng.normal(size=(60, 8)).astype(np.float32)
    found = vector_scale._exact_top10(corpus, queries)
    for query, top in zip(queries, found, strict=True):
        expected = np.argsort(-(vectors @ query))[:10]
        assert top == [ids[n] for n in expected]
