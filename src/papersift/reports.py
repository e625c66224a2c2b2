"""What long-running engine operations report back to the fronts."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def summary(self) -> str:
        action = "rebuilt" if self.rebuilt else "updated"
        keyword = (
            f"keyword index {action}: {self.written:,} papers written, "
            f"{self.documents:,} in the index, {self.seconds:.1f} s"
        )
        return keyword if self.vector is None else f"{keyword}\n{self.vector.summary()}"


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
