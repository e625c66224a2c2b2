"""Semantic search as it grows: newest papers first, published in steps, resumed after an
interruption without publishing twice, one embedding run per deployment, modes that follow
coverage, and the vector index deciding its own embedder. The real default model (ONNX int8,
exported once per test session) embeds a small corpus."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from papersift.cli import main
from papersift.engine import Engine
from papersift.errors import SettingsError
from papersift.settings import Settings
from papersift.store.locks import deployment_lock
from tests.conftest import make_paper, write_jsonl
from tests.test_semantic import _model_cache

pytestmark = pytest.mark.slow

TOPICS = [
    ("Graph neural networks for molecules", "Message passing over atoms predicts properties."),
    ("Low-rank adaptation of language models", "LoRA trains small matrices beside frozen ones."),
    ("Cooking pasta at high altitude", "Water boils at lower temperatures in the mountains."),
    ("Protein folding with deep learning", "Networks fold amino acid chains into structures."),
    ("Reinforcement learning for robots", "A robot arm learns to grasp from trial and error."),
    ("Galaxy rotation curves", "Dark matter explains how fast the outer stars orbit."),
    ("Speech recognition with transformers", "Attention maps audio frames to written words."),
    ("Quantum error correction codes", "Surface codes protect qubits from noise."),
]
CORPUS = [
    make_paper(
        f"2601.{number:05d}",
        title=title,
        abstract=abstract,
        listed=date(2026, 1, 1) + timedelta(days=number),
    )
    for number, (title, abstract) in enumerate(TOPICS, start=1)
]
NEWEST_FIRST = [paper.id for paper in sorted(CORPUS, key=lambda p: p.listed, reverse=True)]


@pytest.fixture
def growing(settings: Settings, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An engine with the corpus stored and keyword-indexed, no vectors yet, publishing every
    two papers."""
    filelock = pytest.importorskip("filelock")
    pytest.importorskip("onnxruntime")
    cache = _model_cache(tmp_path_factory)
    cache.mkdir(parents=True, exist_ok=True)
    engine = Engine(
        settings.model_copy(
            update={
                "embedder_backend": "auto",
                "model_cache_dir": cache,
                "embed_publish_papers": 2,
            }
        )
    )
    engine.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    with filelock.FileLock(str(cache / ".onnx-int8.lock")):
        engine.embedder()
    return engine


def _published_steps(engine: Engine) -> list[set[str]]:
    """Record, at each progress report, which papers semantic search covers."""
    steps: list[set[str]] = []

    def record() -> None:
        covered = (
            set(engine.vector_index.vectors_of(NEWEST_FIRST)) if engine.vector_count() else set()
        )
        if not steps or steps[-1] != covered:
            steps.append(covered)

    engine.embedding_listeners.append(record)
    return steps


def test_before_any_vector_every_mode_answers_with_keyword_results(growing: Engine) -> None:
    assert growing.modes == ["bm25"] and growing.default_mode == "bm25"
    choice = growing.choose_mode("hybrid")
    assert choice.mode == "bm25"
    assert choice.notice and "not ready yet" in choice.notice and "0 of 8 papers" in choice.notice
    keyword = [r.paper.id for r in growing.search("pasta", mode="keyword")]
    assert [r.paper.id for r in growing.search("pasta", mode="semantic")] == keyword
    assert growing.semantic_status().covered == 0


def test_papers_are_published_newest_first_in_steps(
    growing: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("papersift.indexes.vector_sync._CHUNK", 2)
    steps = _published_steps(growing)
    growing.index_vectors()
    sizes = [len(step) for step in steps]
    assert sizes == [2, 4, 6, 8]  # a new generation every two papers
    for step in steps:
        assert step == set(NEWEST_FIRST[: len(step)])
    assert growing.default_mode == "hybrid" and set(growing.modes) >= {"bm25", "dense", "hybrid"}
    status = growing.semantic_status()
    assert status.complete and not status.running and status.rate and status.rate > 0
    meta = growing.vector_index.meta() or {}
    assert meta["embedder"] == {"backend": "onnx-int8", "model": "all-MiniLM-L6-v2"}


def test_hybrid_over_part_of_the_papers_still_finds_the_rest_by_keyword(
    growing: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupt_after(growing, monkeypatch, batches=1)  # only the 2 newest papers get vectors
    with pytest.raises(KeyboardInterrupt):
        growing.index_vectors()
    growing.refresh()
    assert growing.semantic_coverage() == (2, 8)
    choice = growing.choose_mode(None)
    assert choice.mode == "hybrid" and choice.notice == (
        "Semantic search covers 2 of 8 papers so far; the others are found by their words."
    )
    oldest = NEWEST_FIRST[-1]  # "Graph neural networks for molecules", not embedded yet
    assert (
        growing.search("graph neural networks molecules", mode="hybrid", k=1)[0].paper.id == oldest
    )


def test_an_interrupted_run_resumes_without_publishing_twice(
    growing: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    growing.settings = growing.settings.model_copy(update={"embed_publish_papers": 4})
    real_embed = _interrupt_after(growing, monkeypatch, batches=3)
    with pytest.raises(KeyboardInterrupt):
        growing.index_vectors()
    growing.refresh()
    assert growing.semantic_coverage() == (4, 8)  # the first step was published, and kept
    monkeypatch.setattr(growing.embedder(), "embed", real_embed)
    report = growing.index_vectors()
    assert report.embedded == 2 and report.reused == 6  # 4 published, 2 embedded but not yet
    meta = growing.vector_index.meta() or {}
    assert meta["vectors"] == 8 and meta.get("tombstones", 0) == 0
    assert growing.pending_vector_updates() is False


def test_one_embedding_run_per_deployment(growing: Engine) -> None:
    with deployment_lock(growing.db, "embedding", lock_dir=growing.settings.data_dir):
        report = growing.index()
    assert report.vector is None and report.vector_busy
    assert "another papersift process" in report.summary()
    assert growing.index().vector is not None  # the lock is free again


def test_the_index_decides_the_query_embedder(growing: Engine, settings: Settings) -> None:
    growing.index_vectors()
    expected = [r.paper.id for r in growing.search("robot grasping", mode="dense", k=3)]
    where = {
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "model_cache_dir": growing.settings.models_dir,
    }
    plain = Engine(Settings(**where))  # no embedder setting: the index's embedder
    assert plain.embedder_spec() == growing.embedder_spec()
    assert [r.paper.id for r in plain.search("robot grasping", mode="dense", k=3)] == expected
    conflicting = Engine(Settings(**where, embedder_backend="static"))
    with pytest.raises(SettingsError) as raised:
        conflicting.embedder_spec()
    message = str(raised.value)
    assert "all-MiniLM-L6-v2 (onnx-int8)" in message and "all-MiniLM-L6-v2 (static)" in message
    assert "papersift index --rebuild" in message
    assert conflicting.modes == ["bm25"]  # searches keep answering, by keyword
    plain.close()
    conflicting.close()


def _interrupt_after(engine: Engine, monkeypatch: pytest.MonkeyPatch, *, batches: int):  # type: ignore[no-untyped-def]
    """Make the embedder raise KeyboardInterrupt on call ``batches + 1``; returns the real one."""
    monkeypatch.setattr("papersift.indexes.vector_sync._CHUNK", 2)
    embedder = engine.embedder()
    real_embed = embedder.embed
    calls: list[int] = []

    def embed(texts, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        if len(calls) > batches:
            raise KeyboardInterrupt
        return real_embed(texts, **kwargs)

    monkeypatch.setattr(embedder, "embed", embed)
    return real_embed


def test_cli_searches_with_the_index_embedder_whatever_the_environment_says(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Vectors built with the static embedder: a search without the setting gives exactly the
    ids it gives with it; an explicitly conflicting setting exits non-zero naming both."""
    filelock = pytest.importorskip("filelock")
    pytest.importorskip("model2vec")
    cache = _model_cache(tmp_path_factory)
    cache.mkdir(parents=True, exist_ok=True)
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_MODEL_CACHE_DIR", str(cache))
    data_dir = tmp_path / "data"

    def run(*args: str, backend: str | None, expect: int = 0) -> Result:
        environment = {"PAPERSIFT_EMBEDDER_BACKEND": backend}
        result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], env=environment)
        assert result.exit_code == expect, result.output
        return result

    run("ingest", "--no-index", str(write_jsonl(tmp_path / "corpus.jsonl", CORPUS)), backend=None)
    with filelock.FileLock(str(cache / ".static.lock")):
        run("index", backend="static")
    search = ("search", "lora", "--mode", "dense", "--json")
    with_setting = _ids(run(*search, backend="static"))
    without = _ids(run(*search, backend=None))
    assert without == with_setting and len(without) == len(CORPUS)
    assert without[0] == "2601.00002"  # "Low-rank adaptation of language models"
    refused = run(*search, backend="onnx-int8", expect=1).output
    assert "all-MiniLM-L6-v2 (static)" in refused and "all-MiniLM-L6-v2 (onnx-int8)" in refused
    stats = json.loads(run("stats", "--json", backend=None).stdout)
    assert stats["semantic"]["embedder"] == "all-MiniLM-L6-v2 (static)"
    assert stats["semantic"]["embedded"] == stats["papers"] == len(CORPUS)
    assert stats["default_mode"] == "hybrid"


def _ids(result: Result) -> list[str]:
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]
