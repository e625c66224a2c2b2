"""Why a paper was recommended, as data: each front renders a ``Reason`` its own way (a page
links it, an email and the CLI print ``text``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonKind(StrEnum):
    LIKE_PAPER = "like_paper"  # value: the similar paper's title; paper_id: that paper
    LIKE_PAPERS = "like_papers"  # the whole library (or collection) was the query
    FOLLOWED_AUTHOR = "followed_author"  # value: the followed name
    FOLLOWED_CATEGORY = "followed_category"  # value: the followed category
    TRENDING = "trending"


@dataclass(frozen=True, slots=True)
class Reason:
    kind: ReasonKind
    value: str = ""
    paper_id: str | None = None
    where: str = "in your library"  # for LIKE_*: the library or "in “<collection>”"

    @property
    def text(self) -> str:
        """The reason as one line of English."""
        match self.kind:
            case ReasonKind.LIKE_PAPER:
                return f"Like “{self.value}” {self.where}"
            case ReasonKind.LIKE_PAPERS:
                return f"Like the papers {self.where}"
            case ReasonKind.FOLLOWED_AUTHOR:
                return f"By {self.value}, whom you follow"
            case ReasonKind.FOLLOWED_CATEGORY:
                return f"In {self.value}, which you follow"
            case ReasonKind.TRENDING:
                return "Trending"


TRENDING = Reason(ReasonKind.TRENDING)
