"""Generative retrieval: the query's embedding decoded into docids by a trained DSI model.

Only papers the model was trained on can be returned: papers added since are invisible to this
retriever until ``papersift dsi train`` runs again (hybrid-dsi still finds them through its keyword
and semantic lists). Filters are applied to the decoded beam, so a filtered search returns at most
the beam's papers that pass.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

from papersift.embeddings.base import Embedder
from papersift.errors import SettingsError
from papersift.filters import Filters
from papersift.retrieval.base import Hit

if TYPE_CHECKING:
    from papersift.indexes.dsi.model_dir import DSIModel

TRAIN_HINT = "train one with: papersift dsi train"


class DSIRetriever:
    name = "dsi"

    def __init__(
        self,
        embedder: Callable[[], Embedder],
        directory: Path,
        beam: int,
        ids_matching: Callable[[Filters], set[str]],
    ) -> None:
        self.embedder = embedder
        self.directory = directory
        self.beam = beam
        self.ids_matching = ids_matching
        self._model: DSIModel | None = None
        self._loaded_stamp: float | None = None
        self._lock = Lock()

    def ready(self) -> bool:
        """Whether a trained model is there."""
        return self.stamp() is not None

    def stamp(self) -> float | None:
        """Changes whenever a new model is published (None: no model)."""
        try:
            return (self.directory / "model.json").stat().st_mtime
        except FileNotFoundError:
            return None

    def model(self) -> DSIModel:
        """The trained model, loaded once and again whenever a new one is published."""
        stamp = self.stamp()
        if stamp is None:
            raise SettingsError(f"no DSI model in {self.directory}: {TRAIN_HINT}")
        with self._lock:
            if self._model is None or stamp != self._loaded_stamp:
                from papersift.indexes.dsi.model_dir import DSIModel

                self._model, self._loaded_stamp = DSIModel(self.directory), stamp
            return self._model

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        if not query.strip():
            return []
        model = self.model()
        embedder = self.embedder()
        if model.embedder_identity != embedder.identity:
            raise SettingsError(
                f"the DSI model was trained with {model.embedder_identity}, but the embedder is "
                f"{embedder.identity}: {TRAIN_HINT}"
            )
        vector = embedder.embed_query(query)
        if filters is None or filters.empty:
            return [Hit(pid, score) for pid, score in model.search(vector, k, self.beam)]
        allowed = self.ids_matching(filters)
        decoded = model.search(vector, max(k, self.beam), self.beam)
        return [Hit(pid, score) for pid, score in decoded if pid in allowed][:k]
