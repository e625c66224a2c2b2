"""Search filters shared by every retriever."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict results to papers in any of ``categories``, dated within [since, until], by
    an author whose name contains ``author`` (words in order, accents and case ignored), and
    linking to a code repository (``has_code``).

    Indexes do not know which papers link to code: the engine resolves ``has_code`` into
    ``only``, the ids of those papers (``Engine.resolve_filters``), before a retriever runs.
    """

    categories: tuple[str, ...] = field(default=())
    since: date | None = None
    until: date | None = None
    author: str | None = None
    has_code: bool = False
    only: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")

    @property
    def empty(self) -> bool:
        return (
            not (self.categories or self.since or self.until or self.author or self.has_code)
            and self.only is None
        )

    def allowed_ids(self) -> frozenset[str] | None:
        """The ids ``only`` allows, or None for any; fails on an unresolved ``has_code``."""
        if self.has_code and self.only is None:
            raise ValueError("has_code must be resolved into `only` (Engine.resolve_filters)")
        return self.only


NO_FILTERS = Filters()
