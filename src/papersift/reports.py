"""What long-running engine operations report back to the fronts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from papersift.indexes.vector_sync import VectorReport
from papersift.sources import Malformed
from papersift.store.papers import UpsertCounts

MAX_REPORTED_PROBLEMS = 50


@dataclass
class WriteReport:
    """What a run that writes papers did: counts of each outcome and the first problems seen."""

    records: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    malformed: int = 0
    problems: list[Malformed] = field(default_factory=list)

    def note_malformed(self, problem: Malformed) -> None:
        self.malformed += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)

    def note_written(self, counts: UpsertCounts) -> None:
        self.added += counts.added
        self.updated += counts.updated
        self.unchanged += counts.unchanged


@dataclass
class IngestReport(WriteReport):
    duplicates: int = 0
    indexed: int = 0
    seconds: float = 0.0

    @property
    def papers_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.records:,} records: {self.added:,} added, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.duplicates:,} duplicate ids, "
            f"{self.malformed:,} malformed skipped; {self.indexed:,} indexed "
            f"in {self.seconds:.1f} s ({self.papers_per_second:,.0f} papers/s)"
        )


@dataclass
class IndexReport:
    written: int
    documents: int
    rebuilt: bool
    seconds: float
    vector: VectorReport | None = None
    vector_busy: bool = False  # another process was embedding: vectors left to it
    diverged: bool = False  # the store had gone back in time (a restore, lost writes)

    def summary(self) -> str:
        action = "rebuilt" if self.rebuilt else "updated"
        lines = [
            f"keyword index {action}: {self.written:,} papers written, "
            f"{self.documents:,} in the index, {self.seconds:.1f} s"
        ]
        if self.diverged:
            lines.insert(
                0,
                "the store went back in time (a restore, or writes lost at a crash): "
                "the indexes were rebuilt to match it",
            )
        if self.vector is not None:
            lines.append(self.vector.summary())
        if self.vector_busy:
            lines.append(
                "vector index: another papersift process (a server's background worker or "
                "another papersift index) is embedding new papers; it publishes them as it goes"
            )
        return "\n".join(lines)


@dataclass
class HarvestReport(WriteReport):
    pages: int = 0
    resumed_from_page: int | None = None

    def summary(self) -> str:
        resumed = (
            f" (resumed after page {self.resumed_from_page})" if self.resumed_from_page else ""
        )
        return (
            f"harvested {self.pages:,} pages{resumed}, {self.records:,} records: "
            f"{self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.malformed:,} malformed skipped"
        )


# An embedding run that has not reported for this long is taken as stopped.
STALE_RUN_SECONDS = 300


@dataclass(frozen=True, slots=True)
class SemanticStatus:
    """How far semantic search is, in figures and in plain words (no server paths)."""

    enabled: bool
    embedder: str | None
    covered: int
    papers: int
    running: bool
    rate: float | None  # papers per second of the current or last embedding run
    eta_seconds: float | None
    updated_at: str | None
    problem: str | None = None

    @classmethod
    def of(
        cls,
        *,
        enabled: bool,
        embedder: str | None,
        covered: int,
        papers: int,
        run: dict[str, Any],
        now: datetime,
        problem: str | None = None,
    ) -> SemanticStatus:
        seconds, done = float(run.get("seconds") or 0), int(run.get("done") or 0)
        rate = done / seconds if seconds > 0 and done > 0 else None
        updated = _parse_time(run.get("updated_at"))
        fresh = updated is not None and (now - updated).total_seconds() < STALE_RUN_SECONDS
        running = bool(run) and not run.get("finished") and fresh
        missing = max(papers - covered, 0)
        eta = missing / rate if rate and missing and running else None
        return cls(
            enabled, embedder, covered, papers, running, rate, eta, run.get("updated_at"), problem
        )

    @property
    def coverage(self) -> float:
        return self.covered / self.papers if self.papers else 1.0

    @property
    def complete(self) -> bool:
        return self.covered >= self.papers

    def sentence(self) -> str:
        """The state of semantic search in one plain sentence."""
        if self.problem:
            return f"Semantic search is unavailable: {self.problem}"
        if not self.enabled:
            return "Semantic search is off (pip install 'papersift[semantic]' turns it on)."
        if self.papers == 0:
            return "Semantic search is ready; there are no papers yet."
        if self.complete:
            return f"Semantic search covers all {self.papers:,} papers."
        text = f"Semantic search covers {self.covered:,} of {self.papers:,} papers so far"
        if self.running and self.eta_seconds is not None:
            return f"{text}; the rest in about {format_duration(self.eta_seconds)}."
        if self.running:
            return f"{text}; embedding is under way."
        return f"{text}; run papersift index (or papersift serve) to embed the rest."

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "embedder": self.embedder,
            "papers": self.papers,
            "embedded": self.covered,
            "coverage": round(self.coverage, 4),
            "embedding_running": self.running,
            "papers_per_second": round(self.rate, 2) if self.rate else None,
            "eta_seconds": round(self.eta_seconds) if self.eta_seconds is not None else None,
            "updated_at": self.updated_at,
            "summary": self.sentence(),
        }


def format_duration(seconds: float) -> str:
    """``seconds`` in words read at a glance: "40 seconds", "12 minutes", "2.5 hours"."""
    if seconds < 90:
        return f"{max(round(seconds), 1)} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
