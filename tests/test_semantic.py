"""Dense, hybrid and similar-paper retrieval through the engine, on a tiny corpus, with the real
default model (ONNX int8, exported once per test session)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.errors import SettingsError
from papersift.filters import Filters
from papersift.settings import Settings
from papersift.store.schema import paper_embeddings
from tests.conftest import make_paper, write_jsonl

pytestmark = pytest.mark.slow

CORPUS = [
    make_paper(
        "2601.00001",
        title="Fuel efficiency of automobile engines",
        abstract="We measure how combustion engines in passenger cars consume petrol on highways.",
        categories=("physics.app-ph",),
        listed=date(2026, 1, 1),
    ),
    make_paper(
        "2601.00002",
        title="Cooking pasta at high altitude",
        abstract="Water boils at lower temperatures in the mountains, so spaghetti takes longer.",
        categories=("physics.pop-ph",),
        listed=date(2026, 1, 2),
    ),
    make_paper(
        "2601.00003",
        title="Neural machine translation with attention",
        abstract="An encoder-decoder network learns to translate sentences from English to French.",
        authors=("Dzmitry Bahdanau", "Yoshua Bengio"),
        categories=("cs.CL",),
        listed=date(2026, 1, 3),
    ),
    make_paper(
        "2601.00004",
        title="Multilingual translation without parallel data",
        abstract="Unsupervised models translate between languages using monolingual text only.",
        categories=("cs.CL",),
        listed=date(2026, 2, 1),
    ),
    make_paper(
        "2601.00005",
        title="Predicting protein structure from sequence",
        abstract="Deep learning folds amino acid chains into three-dimensional structures.",
        categories=("q-bio.BM",),
        listed=date(2026, 2, 2),
    ),
    make_paper(
        "2601.00006",
        title="Neural machine translation with attention",
        abstract="A duplicate record of the translation paper under another identifier.",
        categories=("cs.CL",),
        listed=date(2026, 3, 3),
    ),
]


def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    return (base.parent if base.name.startswith("popen-gw") else base) / "embedder-models"


@pytest.fixture
def semantic(
    settings: Settings, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    filelock = pytest.importorskip("filelock")
    pytest.importorskip("onnxruntime")
    cache = _model_cache(tmp_path_factory)
    cache.mkdir(parents=True, exist_ok=True)
    engine = Engine(
        settings.model_copy(update={"embedder_backend": "onnx-int8", "model_cache_dir": cache})
    )
    engine.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    with filelock.FileLock(str(cache / ".onnx-int8.lock")):
        engine.embedder()
    engine.index()
    return engine


def ids(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.paper.id if hasattr(r, "paper") else r.paper_id for r in results]


def test_dense_finds_meaning_without_shared_words(semantic: Engine) -> None:
    assert ids(semantic.search("car motor gasoline consumption", mode="dense", k=1)) == [
        "2601.00001"
    ]
    assert ids(semantic.search("spaghetti in the alps", mode="dense", k=1)) == ["2601.00002"]
    assert ids(semantic.search("how proteins fold", mode="dense", k=1)) == ["2601.00005"]


def test_dense_filters_still_return_k(semantic: Engine) -> None:
    only_cl = semantic.search("cooking", mode="dense", k=3, filters=Filters(categories=("cs.CL",)))
    assert sorted(ids(only_cl)) == ["2601.00003", "2601.00004", "2601.00006"]
    dated = semantic.search(
        "translation", mode="dense", k=5, filters=Filters(since=date(2026, 2, 1))
    )
    assert set(ids(dated)) == {"2601.00004", "2601.00005", "2601.00006"}
    by_author = semantic.search("anything", mode="dense", k=5, filters=Filters(author="bengio"))
    assert ids(by_author) == ["2601.00003"]


def test_hybrid_ranks_lexical_and_semantic_matches(semantic: Engine) -> None:
    assert ids(semantic.search("automobile fuel", mode="hybrid", k=1)) == ["2601.00001"]
    top = ids(semantic.search("translate languages", mode="hybrid", k=3))
    assert set(top) == {"2601.00003", "2601.00004", "2601.00006"}


def test_dense_scores_of_given_papers_are_their_search_scores(semantic: Engine) -> None:
    dense = semantic.dense
    assert dense is not None
    found = {hit.paper_id: hit.score for hit in dense.search("how proteins fold", 10)}
    scores = dense.scores_of("how proteins fold", [*found, "2699.99999"])
    assert set(scores) == set(found)  # a paper without a vector is left out
    for paper_id, score in found.items():
        assert scores[paper_id] == pytest.approx(score, abs=1e-5)
    assert dense.scores_of("how proteins fold", []) == {}


def test_similar_papers_exclude_the_seed_and_its_duplicates(semantic: Engine) -> None:
    similar = ids(semantic.similar(["2601.00003"], k=3))
    assert similar[0] == "2601.00004"
    assert "2601.00003" not in similar and "2601.00006" not in similar  # same title
    more_like = ids(semantic.similar(["2601.00001", "2601.00002"], k=2))
    assert not {"2601.00001", "2601.00002"} & set(more_like)


def test_similar_papers_sorted_by_recency(semantic: Engine) -> None:
    results = semantic.similar(["2601.00005"], k=4, sort="recent")
    dates = [r.paper.display_date for r in results]
    assert dates == sorted(dates, reverse=True)


def test_changed_papers_are_embedded_again_and_others_reused(
    semantic: Engine, tmp_path: Path
) -> None:
    changed = make_paper(
        "2601.00002",
        version=2,
        title="Baking bread",
        abstract="Yeast and flour make dough rise in a warm oven.",
        categories=("physics.pop-ph",),
    )
    semantic.ingest([write_jsonl(tmp_path / "v2.jsonl", [changed])])
    report = semantic.index()
    assert report.vector is not None
    assert (report.vector.embedded, report.vector.indexed) == (1, 1)
    assert ids(semantic.search("sourdough loaf", mode="dense", k=1)) == ["2601.00002"]
    again = semantic.index()
    assert again.vector is not None and again.vector.embedded == 0


def test_interrupted_embedding_resumes_without_recomputing(
    semantic: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with semantic.db.begin() as connection:
        connection.execute(paper_embeddings.delete())
    embedder = semantic.embedder()
    calls: list[int] = []
    real_embed = embedder.embed

    def crash_on_second_batch(texts, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_embed(texts, **kwargs)

    monkeypatch.setattr(embedder, "embed", crash_on_second_batch)
    monkeypatch.setattr("papersift.indexes.vector_sync._CHUNK", 2)
    with pytest.raises(KeyboardInterrupt):
        semantic.index(rebuild=True)
    monkeypatch.setattr(embedder, "embed", real_embed)
    report = semantic.index(rebuild=True)
    assert report.vector is not None
    assert (report.vector.embedded, report.vector.reused) == (4, 2)  # the first batch was kept
    assert len(semantic.search("pasta", mode="dense", k=10)) == 6


def test_semantic_modes_fall_back_to_keyword_and_explain_how_to_enable_them(
    engine: Engine, tmp_path: Path
) -> None:
    engine.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    choice = engine.choose_mode("semantic")
    assert choice.mode == "bm25" and choice.notice and "not switched on" in choice.notice
    assert ids(engine.search("pasta", mode="dense")) == ["2601.00002"]
    assert engine.modes == ["bm25"] and engine.default_mode == "bm25"
    with pytest.raises(SettingsError, match=r"papersift\[semantic\]"):
        engine.embedder()


def test_an_index_that_needs_compacting_is_rebuilt(
    semantic: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(semantic.vector_index), "needs_rebuild", property(lambda _: True))
    report = semantic.index()
    assert report.vector is not None and report.vector.rebuilt
    assert report.vector.embedded == 0 and report.vector.indexed == len(CORPUS)
