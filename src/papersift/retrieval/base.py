"""The one interface every retrieval method implements."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from papersift.filters import Filters


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved paper and the retriever's score for it (higher is better)."""

    paper_id: str
    score: float


@runtime_checkable
class Retriever(Protocol):
    """``search(query, k, filters)`` returns at most ``k`` hits, best first."""

    name: str

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


@runtime_checkable
class ScoringRetriever(Retriever, Protocol):
    """A retriever that can also score given papers for a query, as ``search`` would have
    (hybrid fusion asks it for the candidates another retriever found)."""

    def scores_of(self, query: str, paper_ids: Collection[str]) -> dict[str, float]: ...
