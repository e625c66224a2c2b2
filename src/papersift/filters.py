"""Search filters shared by every retriever."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict results to papers in any of ``categories``, dated within [since, until], and by
    an author whose name contains ``author`` (words in order, accents and case ignored)."""

    categories: tuple[str, ...] = field(default=())
    since: date | None = None
    until: date | None = None
    author: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")

    @property
    def empty(self) -> bool:
        return not (self.categories or self.since or self.until or self.author)


NO_FILTERS = Filters()
