"""The reference embedder: sentence-transformers in float32 on the CPU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from papersift.embeddings.base import Vectors
from papersift.embeddings.models import model_name, offline_hub, resolve_model
from papersift.errors import MissingDependencyError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class SentenceTransformerEmbedder:
    """Embeds with sentence-transformers (PyTorch, float32, CPU): the quality reference."""

    def __init__(
        self, model: str, *, max_seq_length: int = 256, threads: int | None = None
    ) -> None:
        """Load ``model`` (a name or directory, see ``resolve_model``).

        ``threads`` sets PyTorch's intra-op thread count, which is global to the process.
        """
        sentence_transformer_class = _sentence_transformer_class()
        if threads is not None:
            import torch  # present: sentence-transformers depends on it

            torch.set_num_threads(threads)
        source = resolve_model(model)
        if isinstance(source, str):  # a hub name: let sentence-transformers fetch or find it
            self._model = sentence_transformer_class(source, device="cpu")
        else:
            with offline_hub():
                self._model = sentence_transformer_class(str(source), device="cpu")
        self._model.max_seq_length = max_seq_length
        self.identity = f"{model_name(model)}:torch-fp32"
        self.dimension = int(self._model.get_embedding_dimension() or 0)

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
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        """One (dimension,) unit vector for a search query."""
        vector: Vectors = self.embed([text])[0]
        return vector


def _sentence_transformer_class() -> type[SentenceTransformer]:
    try:  # also fails when torch, which sentence-transformers imports, is missing
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise MissingDependencyError("sentence-transformers", extra="export") from error
    return SentenceTransformer
