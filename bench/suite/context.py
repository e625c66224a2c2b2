"""What every stage of a benchmark run needs to know, passed to stage processes as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.corpus import corpus_path
from papersift.embeddings.models import DEFAULT_MODEL, model_name
from papersift.settings import Settings


@dataclass(frozen=True)
class Context:
    papers: int
    seed: int
    work: Path
    queries: int
    similar_seeds: int
    embedder: str
    http_seconds: float
    http_connections: int
    http_workers: int
    default_model_row: bool = True
    model: str = DEFAULT_MODEL

    @classmethod
    def static(
        cls, papers: int, work: Path, *, queries: int = 0, model: str = DEFAULT_MODEL
    ) -> Context:
        """The static embedder's corpus of ``papers`` (seed 1), for tools that run no load."""
        return cls(
            papers=papers,
            seed=1,
            work=work,
            queries=queries,
            similar_seeds=0,
            embedder="static",
            http_seconds=0,
            http_connections=0,
            http_workers=0,
            model=model,
        )

    @property
    def label(self) -> str:
        """The embedder's name in file names: the backend, and the model unless the default."""
        if self.model == DEFAULT_MODEL:
            return self.embedder
        return f"{self.embedder}-{model_name(self.model)}"

    @property
    def folder(self) -> Path:
        """Everything built for this corpus size (kept between runs)."""
        return self.work / f"{self.papers}-seed{self.seed}"

    @property
    def corpus(self) -> Path:
        return corpus_path(self.work, self.papers, self.seed)

    @property
    def data_dir(self) -> Path:
        return self.folder / f"papersift-{self.label}"

    @property
    def models_dir(self) -> Path:
        """Shared by every size: the static model is distilled once."""
        return self.work / "models"

    def settings(self, data_dir: Path | None = None) -> Settings:
        folder = data_dir or self.data_dir
        return Settings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'papersift.db'}",
            embedder_backend=self.embedder,
            embedder_model=self.model,
            model_cache_dir=self.models_dir,
        )

    def environment(self) -> dict[str, str]:
        """The same settings for a `papersift` child process."""
        return {
            "PAPERSIFT_EMBEDDER_BACKEND": self.embedder,
            "PAPERSIFT_EMBEDDER_MODEL": self.model,
            "PAPERSIFT_MODEL_CACHE_DIR": str(self.models_dir),
        }

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "work": str(self.work)})

    @classmethod
    def from_json(cls, text: str) -> Context:
        fields: dict[str, Any] = json.loads(text)
        return cls(**{**fields, "work": Path(fields["work"])})
