"""Choosing and loading an embedder by backend name, once per process."""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papersift.embeddings.base import Embedder
from papersift.errors import SettingsError

BACKENDS = ("torch", "onnx-int8", "static")
AUTO = "auto"  # onnx-int8 when the semantic extra is installed, else none
NONE = "none"  # semantic search off
SEMANTIC_INSTALL_HINT = "pip install 'papersift[semantic]'"

_loaded: dict[tuple[str, str, Path], Embedder] = {}
_loading = threading.Lock()


def load_embedder(backend: str, model: str, *, cache_dir: Path) -> Embedder:
    """The embedder for ``backend`` and ``model``, loaded at most once per process.

    ``backend`` is one of ``BACKENDS`` or ``"auto"`` (see ``resolve_backend``). Derived models
    (ONNX export, static distillation) are cached in ``cache_dir``.
    """
    chosen = resolve_backend(backend)
    if chosen == NONE:
        raise SettingsError(
            f"semantic search is off: install it with {SEMANTIC_INSTALL_HINT} and leave "
            "PAPERSIFT_EMBEDDER_BACKEND at auto (or name a backend)"
        )
    key = (chosen, model, cache_dir.expanduser().resolve())
    with _loading:  # a server's threads must not load the same model twice
        if key not in _loaded:
            _loaded[key] = _load(chosen, model, key[2])
        return _loaded[key]


def resolve_backend(backend: str) -> str:
    """The backend ``backend`` names, the one place ``"auto"`` is resolved: onnx-int8 when the
    semantic extra (onnxruntime, tokenizers) is installed, else ``"none"``. SettingsError for
    a name that is no backend."""
    if backend == AUTO:
        return "onnx-int8" if _installed("onnxruntime") and _installed("tokenizers") else NONE
    if backend not in (NONE, *BACKENDS):
        choices = ", ".join((AUTO, NONE, *BACKENDS))
        raise SettingsError(f"unknown embedding backend {backend!r}; choose one of: {choices}")
    return backend


def _load(backend: str, model: str, cache_dir: Path) -> Embedder:
    if backend == "torch":
        from papersift.embeddings.torch_backend import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model)
    if backend == "onnx-int8":
        from papersift.embeddings.onnx_backend import OnnxInt8Embedder

        return OnnxInt8Embedder(model, cache_dir=cache_dir)
    from papersift.embeddings.static_backend import StaticEmbedder

    return StaticEmbedder(model, cache_dir=cache_dir)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module blocked with sys.modules[name] = None
        return False


# The backend each identity suffix comes from (``Embedder.identity`` is "<model>:<suffix>").
_IDENTITY_SUFFIXES = {"onnx-int8": "onnx-int8", "static": "static", "torch-fp32": "torch"}


@dataclass(frozen=True, slots=True)
class EmbedderSpec:
    """Which embedder to load: a concrete backend and a model name or path."""

    backend: str
    model: str

    def record(self) -> dict[str, str]:
        """What a vector index records so that queries are embedded by the same embedder."""
        return {"backend": self.backend, "model": self.model}

    def describe(self) -> str:
        return f"{self.model} ({self.backend})"

    @classmethod
    def of_index(cls, meta: dict[str, Any]) -> EmbedderSpec | None:
        """The embedder a vector index was built with: its record, else read off its identity
        (indexes built before the record existed); None when neither says."""
        record = meta.get("embedder")
        if isinstance(record, dict):
            backend, model = record.get("backend"), record.get("model")
            if backend in BACKENDS and isinstance(model, str) and model:
                return cls(backend, model)
        name, _, suffix = str(meta.get("identity") or "").rpartition(":")
        backend = _IDENTITY_SUFFIXES.get(suffix)
        return cls(backend, name) if backend and name else None
