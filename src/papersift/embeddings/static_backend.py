"""The fastest embedder: a model2vec static model distilled locally from the transformer.

Each token gets one fixed vector (computed once by the transformer), and a text's vector is the
mean of its tokens' vectors: no attention, so it embeds far faster than the transformer, at a
clear cost in retrieval quality. Distillation needs torch and transformers once; afterwards the
cached model runs with model2vec alone. A model that already is a model2vec model (a directory
or hub name whose config says ``"model_type": "model2vec"``, such as minishlab's potion models)
is loaded as it is, without distilling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson

from papersift.embeddings.base import Vectors
from papersift.embeddings.models import (
    build_atomically,
    is_built,
    local_model_dir,
    model_name,
    offline_hub,
    package_versions,
    write_metadata,
)
from papersift.errors import MissingDependencyError, SettingsError

if TYPE_CHECKING:
    from model2vec import StaticModel

BACKEND = "static"
# Keeping all 384 dimensions scored better on SciFact than PCA to 256 (see bench.embedders).
PCA_DIMS: int | None = None


class StaticEmbedder:
    """Sentence embeddings from a model2vec static model distilled from ``model``."""

    def __init__(self, model: str, *, cache_dir: Path) -> None:
        """Load the static model from ``cache_dir``, distilling it there first if needed.

        Distilling embeds the model's whole vocabulary once (about a minute on two cores). A
        model2vec model is loaded from its own directory instead.
        """
        static_model_class = _static_model_class()
        directory = cache_dir / f"{model_name(model)}-{BACKEND}"
        if not is_built(directory):
            source = local_model_dir(model)
            if _is_model2vec(source):
                directory = source
            else:
                distill_static(model, directory)
        with offline_hub():
            self._model = static_model_class.from_pretrained(str(directory))
        self.identity = f"{model_name(model)}:{BACKEND}"
        self.dimension = int(self._model.dim)
        self.directory = directory

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False
    ) -> Vectors:
        """A (len(texts), dimension) float32 array of unit vectors, in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=progress,
            # Worker processes would surprise a server and do not pay off on small machines.
            use_multiprocessing=False,
        )
        return _normalise(np.asarray(vectors, dtype=np.float32))

    def embed_query(self, text: str) -> Vectors:
        """One (dimension,) unit vector for a search query."""
        vector: Vectors = self.embed([text])[0]
        return vector


def distill_static(model: str, target: Path) -> None:
    """Distill ``model`` into a model2vec static model saved at ``target`` (all or nothing)."""
    source = local_model_dir(model)

    def build(staging: Path) -> None:
        distill = _distill_function()
        with offline_hub():
            static_model = distill(model_name=str(source), pca_dims=PCA_DIMS)
        static_model.save_pretrained(str(staging))
        write_metadata(
            staging,
            source_model=model,
            source_path=str(source),
            backend=BACKEND,
            dimension=int(static_model.dim),
            pca_dims=PCA_DIMS,
            versions=package_versions("model2vec", "torch", "transformers", "papersift"),
        )

    build_atomically(target, build)


def _is_model2vec(directory: Path) -> bool:
    config = directory / "config.json"
    if not config.is_file():
        return False
    try:
        settings = orjson.loads(config.read_bytes())
    except orjson.JSONDecodeError as error:
        message = f"embedding model config {config} is not valid JSON: {error}"
        raise SettingsError(message) from error
    return isinstance(settings, dict) and settings.get("model_type") == "model2vec"


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # A text with no known token has a zero vector; leave it zero rather than divide by zero.
    return np.asarray(vectors / np.clip(norms, 1e-12, None), dtype=np.float32)


def _static_model_class() -> type[StaticModel]:
    try:
        from model2vec import StaticModel
    except ImportError as error:
        raise MissingDependencyError("model2vec", extra="semantic") from error
    return StaticModel


def _distill_function() -> Callable[..., StaticModel]:
    try:  # model2vec.distill also needs torch, transformers and skeletoken
        from model2vec.distill import distill
    except ImportError as error:
        raise MissingDependencyError(error.name or "model2vec", extra="export") from error
    return distill
