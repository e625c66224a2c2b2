"""The vector index: exact and HNSW kinds, persistence, incremental adds, filters, safety."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from papersift.errors import IndexError_, MissingDependencyError
from papersift.indexes import vector
from papersift.indexes.vector import VectorIndex

DIMENSION = 32
CATEGORIES = ("cs.CL", "cs.LG", "cs.IR", "math.ST")
FIRST_DAY = date(2020, 1, 1)


@dataclass
class Corpus:
    ids: list[str]
    vectors: np.ndarray[Any, Any]
    dates: list[date | None]
    categories: list[list[str]]

    def build(self, index: VectorIndex, **options: Any) -> None:
        index.build(
            self.ids,
            self.vectors,
            dates=self.dates,
            categories=self.categories,
            identity="test-embedder",
            store_id="store-1",
            store_rev=1,
            **options,
        )

    def brute_force(self, query: np.ndarray[Any, Any], k: int, allowed: set[str]) -> list[str]:
        """The exact top k among ``allowed``, with the index's float16 rounding."""
        stored = self.vectors.astype(np.float16).astype(np.float32)
        scores = stored @ query
        ranked = [self.ids[i] for i in np.argsort(-scores, kind="stable")]
        return [paper_id for paper_id in ranked if paper_id in allowed][:k]


def make_corpus(n: int, seed: int = 1) -> Corpus:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    days = rng.integers(0, 5 * 365, n)
    dates = [None if i % 10 == 0 else FIRST_DAY + timedelta(days=int(days[i])) for i in range(n)]
    # math.ST is rare (1%) to exercise very selective filters; others are common and overlap.
    categories = [
        ["math.ST"] if i % 100 == 7 else [CATEGORIES[i % 3], CATEGORIES[(i + 1) % 3]]
        for i in range(n)
    ]
    return Corpus([f"p{i:05d}" for i in range(n)], vectors, dates, categories)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return make_corpus(2_000)


@pytest.fixture(scope="module")
def built(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One index of each kind, built once; tests get their own copy."""
    paths = {}
    for kind, exact_below in (("exact", 20_000), ("hnsw", 0)):
        paths[kind] = tmp_path_factory.mktemp(kind) / "vector"
        corpus.build(VectorIndex(paths[kind]), exact_below=exact_below)
    return paths


def copy_of(built: dict[str, Path], kind: str, tmp_path: Path) -> VectorIndex:
    shutil.copytree(built[kind], tmp_path / "vector")
    return VectorIndex(tmp_path / "vector")


@pytest.fixture(params=["exact", "hnsw"])
def index(request: pytest.FixtureRequest, tmp_path: Path, built: dict[str, Path]) -> VectorIndex:
    return copy_of(built, request.param, tmp_path)


def random_query(seed: int) -> np.ndarray[Any, Any]:
    query = np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
    return query / np.linalg.norm(query)


def kind_of(index: VectorIndex) -> str:
    meta = index.meta()
    assert meta is not None
    return str(meta["kind"])


def ids_of(hits: list[tuple[str, float]]) -> list[str]:
    return [paper_id for paper_id, _ in hits]


# building and loading ----------------------------------------------------------------------------


def test_kind_follows_the_exact_threshold(built: dict[str, Path]) -> None:
    exact, hnsw = VectorIndex(built["exact"]).meta(), VectorIndex(built["hnsw"]).meta()
    assert exact is not None and hnsw is not None
    assert (exact["kind"], exact["hnsw"]) == (vector.KIND_EXACT, None)
    assert hnsw["kind"] == vector.KIND_HNSW
    assert hnsw["hnsw"] == {"m": 32, "ef_construction": 80, "ef_search": vector.DEFAULT_EF_SEARCH}
    for meta in (exact, hnsw):
        assert meta["vectors"] == meta["positions"] == 2_000
        assert (meta["dimension"], meta["metric"], meta["tombstones"]) == (DIMENSION, "ip", 0)
        assert (meta["store_id"], meta["store_rev"]) == ("store-1", 1)


def test_top_hit_of_a_stored_vector_is_itself(index: VectorIndex, corpus: Corpus) -> None:
    for position in (0, 17, 1_234, 1_999):
        hits = index.search(corpus.vectors[position], 5)
        assert hits[0][0] == corpus.ids[position]
        assert hits[0][1] == pytest.approx(1.0, abs=1e-2)
        assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)


def test_unfiltered_results_match_brute_force(index: VectorIndex, corpus: Corpus) -> None:
    query = random_query(3)
    expected = corpus.brute_force(query, 10, set(corpus.ids))
    found = ids_of(index.search(query, 10))
    assert len(set(found) & set(expected)) >= 9  # HNSW is approximate


def test_saved_index_reloads_with_identical_results_and_meta(
    index: VectorIndex, corpus: Corpus
) -> None:
    queries = [random_query(seed) for seed in range(5)]
    before = [index.search(query, 10, categories=["cs.IR"]) for query in queries]
    before += [index.search(query, 10) for query in queries]
    reopened = VectorIndex(index.path)
    reopened.load()
    after = [reopened.search(query, 10, categories=["cs.IR"]) for query in queries]
    after += [reopened.search(query, 10) for query in queries]
    assert after == before
    assert reopened.meta() == index.meta()


def test_vector_of_and_contains(index: VectorIndex, corpus: Corpus) -> None:
    stored = index.vector_of("p00042")
    assert stored is not None
    np.testing.assert_allclose(stored, corpus.vectors[42], atol=1e-3)
    assert index.contains("p00042")
    assert not index.contains("p99999")
    assert index.vector_of("p99999") is None


def test_indexed_rev_only_for_the_same_store_and_embedder(index: VectorIndex) -> None:
    assert index.indexed_rev("store-1", "test-embedder") == 1
    assert index.indexed_rev("store-2", "test-embedder") is None
    assert index.indexed_rev("store-1", "other-embedder") is None
    assert VectorIndex(index.path.parent / "missing").indexed_rev("store-1", "x") is None


def test_searching_a_missing_index_is_an_index_error(tmp_path: Path) -> None:
    with pytest.raises(IndexError_):
        VectorIndex(tmp_path / "nothing").search(random_query(0), 5)


def test_clear_removes_the_index(index: VectorIndex) -> None:
    index.clear()
    assert index.meta() is None
    assert len(index) == 0
    assert not index.path.exists()


def test_interrupted_build_leaves_the_previous_index_intact(
    index: VectorIndex, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = random_query(9)
    before = index.search(query, 10)
    meta = index.meta()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(vector, "_write_postings", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        make_corpus(500, seed=2).build(index)
    reopened = VectorIndex(index.path)
    assert meta is not None
    assert reopened.meta() == meta
    assert reopened.search(query, 10) == before
    assert [entry.name for entry in index.path.glob("gen-*")] == [meta["generation"]]


def test_missing_faiss_names_the_package(
    tmp_path: Path, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "faiss", None)  # makes `import faiss` fail
    with pytest.raises(MissingDependencyError, match="faiss-cpu"):
        corpus.build(VectorIndex(tmp_path / "vector"), exact_below=0)


# incremental adds ----------------------------------------------------------------------------


def test_add_appends_new_and_replaces_changed_papers(index: VectorIndex, corpus: Corpus) -> None:
    old_vector = corpus.vectors[5]
    new_vectors = make_corpus(2, seed=7).vectors
    index.add(
        ["p00005", "new-paper"],
        new_vectors,
        dates=[date(2025, 1, 1), None],
        categories=[["cs.NE"], ["cs.CL"]],
        store_rev=2,
    )
    meta = index.meta()
    assert meta is not None
    assert (meta["tombstones"], meta["positions"], meta["store_rev"]) == (1, 2_002, 2)
    assert len(index) == 2_001
    assert "p00005" not in ids_of(index.search(old_vector, 10))
    assert ids_of(index.search(new_vectors[0], 1)) == ["p00005"]
    assert ids_of(index.search(new_vectors[1], 1)) == ["new-paper"]
    assert ids_of(index.search(new_vectors[0], 5, categories=["cs.NE"])) == ["p00005"]
    assert ids_of(index.search(old_vector, 5, allowed_ids={"p00005"})) == ["p00005"]
    replaced = index.vector_of("p00005")
    assert replaced is not None
    np.testing.assert_allclose(replaced, new_vectors[0], atol=1e-3)
    assert VectorIndex(index.path).search(new_vectors[0], 1) == index.search(new_vectors[0], 1)


def test_add_builds_on_a_write_by_another_instance(index: VectorIndex) -> None:
    stale = VectorIndex(index.path)
    stale.load()
    vectors = make_corpus(2, seed=5).vectors
    for paper_id, row, rev in (("first", vectors[:1], 2), ("second", vectors[1:], 3)):
        writer = index if paper_id == "first" else stale
        writer.add([paper_id], row, dates=[None], categories=[[]], store_rev=rev)
    reopened = VectorIndex(index.path)
    assert reopened.contains("first") and reopened.contains("second")
    assert len(reopened) == 2_002


def test_many_replacements_ask_for_a_rebuild(index: VectorIndex, corpus: Corpus) -> None:
    assert not index.needs_rebuild
    changed = make_corpus(600, seed=11)
    index.add(
        corpus.ids[:600],
        changed.vectors,
        dates=changed.dates,
        categories=changed.categories,
        store_rev=3,
    )
    assert len(index) == 2_000
    assert index.needs_rebuild  # 600 of 2,600 positions are tombstones
    position = 123
    assert ids_of(index.search(changed.vectors[position], 1)) == [corpus.ids[position]]


# filters -------------------------------------------------------------------------------------


def matching(corpus: Corpus, **filters: Any) -> set[str]:
    since, until = filters.get("since"), filters.get("until")
    allowed = filters.get("allowed_ids")
    categories = filters.get("categories", ())
    chosen = set()
    for paper_id, day, names in zip(corpus.ids, corpus.dates, corpus.categories, strict=True):
        if categories and not set(names) & set(categories):
            continue
        if (since or until) and day is None:
            continue
        if (since and day and day < since) or (until and day and day > until):
            continue
        if allowed is not None and paper_id not in allowed:
            continue
        chosen.add(paper_id)
    return chosen - set(filters.get("exclude_ids", ()))


FILTERS: list[dict[str, Any]] = [
    {"categories": ["cs.IR"]},
    {"categories": ["math.ST"]},
    {"categories": ["math.ST", "cs.IR"]},
    {"categories": ["no.such"]},
    {"since": date(2022, 1, 1)},
    {"until": date(2020, 3, 1)},
    {"since": date(2021, 6, 1), "until": date(2021, 6, 30), "categories": ["cs.CL"]},
    {"allowed_ids": {f"p{i:05d}" for i in range(0, 2_000, 97)} | {"unknown"}},
    {"exclude_ids": {f"p{i:05d}" for i in range(0, 2_000, 2)}},
    {"categories": ["cs.LG"], "exclude_ids": {"p00001", "p00002"}},
]


# Each filtered search takes one of three paths, by the allowed set's size; force each in turn.
PATHS: dict[str, dict[str, float]] = {
    "gather": {"GATHER_LIMIT": 10**9},
    "flat-scan": {"GATHER_LIMIT": 0, "FLAT_SCAN_FRACTION": 1.0},
    "hnsw-selector": {"GATHER_LIMIT": 0, "FLAT_SCAN_FRACTION": 0.0},
}


@pytest.fixture(params=list(PATHS))
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in PATHS[request.param].items():
        monkeypatch.setattr(vector, name, value)
    return str(request.param)


@pytest.mark.parametrize("filters", FILTERS)
def test_filters_return_exactly_the_matching_papers(
    index: VectorIndex, corpus: Corpus, filters: dict[str, Any], search_path: str
) -> None:
    allowed = matching(corpus, **filters)
    query = random_query(21)
    everything = ids_of(index.search(query, 2_000, **filters))
    assert set(everything) == allowed
    for seed in range(3):
        query = random_query(seed)
        top = ids_of(index.search(query, 15, **filters))
        assert len(top) == min(15, len(allowed))
        assert set(top) <= allowed
        expected = corpus.brute_force(query, 15, allowed)
        if search_path == "hnsw-selector" and kind_of(index) == vector.KIND_HNSW:
            assert len(set(top) & set(expected)) >= 0.8 * len(expected)
        else:
            assert top == expected


def test_exclude_ids_on_an_unfiltered_search(index: VectorIndex, corpus: Corpus) -> None:
    query = corpus.vectors[10]
    hits = ids_of(index.search(query, 10, exclude_ids={"p00010"}))
    assert "p00010" not in hits
    assert len(hits) == 10


def test_a_query_of_the_wrong_dimension_is_refused(index: VectorIndex) -> None:
    with pytest.raises(ValueError, match="dimension"):
        index.search(np.ones(DIMENSION + 1, dtype=np.float32), 5)


def test_the_graph_has_the_links_and_candidates_it_was_built_with(
    tmp_path: Path, corpus: Corpus
) -> None:
    asked = VectorIndex(tmp_path / "asked")
    corpus.build(asked, exact_below=0, m=8, ef_construction=20)
    default = VectorIndex(tmp_path / "default")
    corpus.build(default, exact_below=0)
    for index, links, candidates in ((asked, 8, 20), (default, 32, 80)):
        meta = index.meta() or {}
        assert (meta["hnsw"]["m"], meta["hnsw"]["ef_construction"]) == (links, candidates)
        graph = index._loaded().ann.hnsw
        assert (graph.nb_neighbors(1), graph.efConstruction) == (links, candidates)
