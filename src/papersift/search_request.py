"""One search as any front asks for it (page, JSON API, feed, saved search, CLI), checked once.

``SearchRequest.checked`` turns what a person typed into a request or an ``InvalidInputError``
that names the field; ``filters`` gives what the engine's searches take.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from papersift.errors import InvalidInputError
from papersift.filters import Filters
from papersift.retrieval.modes import canonical_mode
from papersift.text import has_control_characters

SEARCH_SORTS = ("relevance", "date", "upvotes")
MAX_QUERY = 500
MAX_AUTHOR = 200
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 12, 31)
CATEGORY_PATTERN = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)?)?"  # cs, cs.CL, hep-th, q-bio.NC
_CATEGORY = re.compile(CATEGORY_PATTERN)


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str = ""
    mode: str = "auto"  # any name of a mode (retrieval.modes); the engine picks what answers
    categories: tuple[str, ...] = field(default=())
    since: date | None = None
    until: date | None = None
    author: str | None = None
    has_code: bool = False
    sort: str = "relevance"

    @classmethod
    def checked(
        cls,
        query: str = "",
        *,
        mode: str = "auto",
        category: str | Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        author: str | None = None,
        has_code: bool = False,
        sort: str = "relevance",
    ) -> SearchRequest:
        query = query.strip()
        if len(query) > MAX_QUERY:
            raise InvalidInputError(f"a query must have at most {MAX_QUERY} characters")
        try:
            canonical_mode(mode)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        if sort not in SEARCH_SORTS:
            choices = ", ".join(SEARCH_SORTS)
            raise InvalidInputError(f"unknown sort {sort!r}; choose one of: {choices}")
        named = [category] if isinstance(category, str) else list(category or ())
        categories = tuple(c for c in map(check_category, named) if c)
        check_day(since, "since")
        check_day(until, "until")
        if since and until and since > until:
            raise InvalidInputError(f"since ({since}) is after until ({until})")
        return cls(query, mode, categories, since, until, check_author(author), has_code, sort)

    @property
    def filters(self) -> Filters:
        return Filters(
            categories=self.categories,
            since=self.since,
            until=self.until,
            author=self.author,
            has_code=self.has_code,
        )


def check_category(category: str | None) -> str | None:
    """An arXiv category or archive (``cs.CL``, ``hep-th``); None for none."""
    if category is None or category == "":
        return None
    if len(category) > 40 or not _CATEGORY.fullmatch(category):
        raise InvalidInputError(f"not an arXiv category: {category[:40]!r}")
    return category


def check_day(day: date | None, name: str) -> date | None:
    """Dates from outside must lie in a range every index and calendar computation handles."""
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidInputError(f"{name} must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return day


def check_author(author: str | None) -> str | None:
    """An author filter: words of a name, or None for none."""
    name = " ".join((author or "").split())
    if not name:
        return None
    if len(name) > MAX_AUTHOR:
        raise InvalidInputError(f"an author filter must have at most {MAX_AUTHOR} characters")
    if has_control_characters(name):
        raise InvalidInputError("an author must not contain control characters")
    return name
