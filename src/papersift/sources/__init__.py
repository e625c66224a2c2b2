"""Readers that turn files and feeds from outside into ``Paper`` records.

Every reader yields ``Record`` items: a ``Paper`` or a ``Malformed`` describing one bad record, so
callers can count and report bad input without stopping (or stop, in strict mode).
"""

from __future__ import annotations

from dataclasses import dataclass

from papersift.model import Paper


@dataclass(frozen=True, slots=True)
class Malformed:
    """One input record that could not be turned into a paper."""

    path: str
    position: int  # 1-based line number (JSON lines) or record number (XML, .abs)
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.path}: {self.unit} {self.position}: {self.reason}"


Record = Paper | Malformed

__all__ = ["Malformed", "Record"]
