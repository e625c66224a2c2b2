"""The interface every text embedder implements, and the text of a paper that gets embedded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from papersift.model import Paper
from papersift.text import normalise_for_search

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors.

    ``identity`` names the model *and* the backend (e.g. ``all-MiniLM-L6-v2:onnx-int8``): vectors
    from different identities are never mixed in one index.
    """

    identity: str
    dimension: int

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False
    ) -> Vectors:
        """A (len(texts), dimension) float32 array of unit vectors, in input order."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """One (dimension,) unit vector for a search query."""
        ...


def document_text(paper: Paper) -> str:
    """What gets embedded for a paper: its title and abstract, normalised for search."""
    return normalise_for_search(f"{paper.title} {paper.abstract}")
