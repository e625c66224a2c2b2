"""What one digest email says: the sections, their papers, and why each paper is there.

Built by the digest feature for one subscriber and rendered by ``email_render``; plain frozen
values, so a digest can be built, tested and rendered without a store or a mail server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from papersift.model import Paper

SECTION_TITLES = {
    "trending": "Trending",
    "for_you": "For you",
    "saved_searches": "Your saved searches",
    "followed_authors": "Authors you follow",
    "collection_streams": "Like your collections",
    "discussion": "Discussion",
}
"""Every section key, in the order a digest shows them, with its default title."""

OPTIONAL_SECTIONS = frozenset({"collection_streams", "discussion"})
"""Sections a new subscription leaves out until the reader picks them."""

FREQUENCIES = ("daily", "weekly")


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One paper in a section, with its upvote count and short human reasons for showing it.

    Reasons read like ``Like "Attention Is All You Need" in your library``, ``Matches your saved
    search "graph transformers"`` or ``By Yann LeCun, whom you follow``.
    """

    paper: Paper
    upvotes: int = 0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestSection:
    """A titled list of papers; ``key`` is one of ``SECTION_TITLES``."""

    key: str
    title: str
    items: tuple[DigestItem, ...] = ()

    def __post_init__(self) -> None:
        if self.key not in SECTION_TITLES:
            raise ValueError(f"unknown digest section {self.key!r}")

    @classmethod
    def of(cls, key: str, items: tuple[DigestItem, ...] | list[DigestItem]) -> DigestSection:
        """A section with its default title."""
        if key not in SECTION_TITLES:
            raise ValueError(f"unknown digest section {key!r}")
        return cls(key, SECTION_TITLES[key], tuple(items))


@dataclass(frozen=True, slots=True)
class Digest:
    """One subscriber's digest for ``day`` (``frequency`` daily or weekly)."""

    user_id: int
    email: str
    display_name: str
    day: date
    frequency: str
    sections: tuple[DigestSection, ...]

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")

    @property
    def is_empty(self) -> bool:
        """True when no section has a paper (nothing worth sending)."""
        return not any(section.items for section in self.sections)

    @property
    def nonempty_sections(self) -> tuple[DigestSection, ...]:
        return tuple(section for section in self.sections if section.items)

    @property
    def paper_count(self) -> int:
        """Distinct papers across all sections (a paper in two sections counts once)."""
        return len({item.paper.id for section in self.sections for item in section.items})
