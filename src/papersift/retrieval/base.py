"""The one interface every retrieval method implements."""

from __future__ import annotations

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
