"""Saved-search alerts: each saved search runs against the papers added since it last ran.

A saved search keeps the store revision it has been checked up to. A run takes the papers of
later revisions, searches with the saved query, mode and filters restricted to those papers'
dates, and records the hits that are among them (at most ``MAX_NEW_MATCHES`` per run, best
first). Keyword searches require every word of a plain query (``+word``), so an alert for
"graph neural networks" does not fire on every paper that mentions "graph". Matches and the new
checked revision are written together, so an interrupted run is simply redone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from papersift.filters import Filters
from papersift.model import Paper
from papersift.retrieval.base import Hit
from papersift.store.interests import InterestStore, SavedSearch
from papersift.store.papers import PaperStore

MAX_NEW_MATCHES = 20
SEARCH_DEPTH = 500
_PLAIN_QUERY = re.compile(r"[\w\s-]+")


@dataclass(frozen=True, slots=True)
class AlertReport:
    searches: int = 0
    papers_checked: int = 0
    new_matches: int = 0


def filters_from_json(data: dict[str, Any]) -> Filters:
    """The Filters a saved search stores as JSON (categories, since, until, author, has_code)."""
    return Filters(
        categories=tuple(data.get("categories") or ()),
        since=date.fromisoformat(data["since"]) if data.get("since") else None,
        until=date.fromisoformat(data["until"]) if data.get("until") else None,
        author=data.get("author") or None,
        has_code=bool(data.get("has_code")),
    )


def filters_to_json(filters: Filters) -> dict[str, Any]:
    return {
        "categories": list(filters.categories),
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
        "author": filters.author,
        # Only when set, so that searches saved before the filter existed compare equal.
        **({"has_code": True} if filters.has_code else {}),
    }


def alert_query(search: SavedSearch) -> str:
    """Keyword alerts need every word of a plain query; queries with syntax are kept as they are."""
    if search.mode != "bm25" or not _PLAIN_QUERY.fullmatch(search.query):
        return search.query
    return " ".join(f"+{word}" for word in search.query.split())


class Alerts:
    def __init__(
        self,
        interests: InterestStore,
        papers: PaperStore,
        search: Callable[[str, int, Filters, str], list[Hit]],
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.interests = interests
        self.papers = papers
        self.search = search
        self.clock = clock

    def run(self, *, progress: Callable[[int], None] | None = None) -> AlertReport:
        """Check every saved search against the papers added since its last check."""
        newest = self.papers.max_rev()
        report = AlertReport()
        fresh_since: dict[int, dict[str, Paper]] = {}  # searches checked up to the same revision
        for search in sorted(self.interests.all_searches(), key=lambda s: s.checked_rev):
            if search.checked_rev not in fresh_since and search.checked_rev < newest:
                fresh_since = {search.checked_rev: self._fresh(search.checked_rev)}
            checked, found = self.run_one(search, newest, fresh_since.get(search.checked_rev))
            report = AlertReport(
                report.searches + 1, report.papers_checked + checked, report.new_matches + found
            )
            if progress:
                progress(1)
        return report

    def _fresh(self, rev: int) -> dict[str, Paper]:
        return {paper.id: paper for _rev, paper in self.papers.changed_since(rev)}

    def run_one(
        self, search: SavedSearch, newest_rev: int, fresh: dict[str, Paper] | None = None
    ) -> tuple[int, int]:
        """(papers checked, new matches) for one saved search."""
        if newest_rev <= search.checked_rev:
            return 0, 0
        if fresh is None:
            fresh = self._fresh(search.checked_rev)
        matches: list[str] = []
        if fresh:
            saved = filters_from_json(search.filters)
            days = [p.display_date for p in fresh.values() if p.display_date]
            since = max(filter(None, (saved.since, min(days) if days else None)), default=None)
            try:
                filters = Filters(
                    saved.categories, since, saved.until, saved.author, has_code=saved.has_code
                )
            except ValueError:  # the new papers all lie after the search's date range
                filters = None
            if filters is not None:
                hits = self.search(alert_query(search), SEARCH_DEPTH, filters, search.mode)
                matches = [h.paper_id for h in hits if h.paper_id in fresh][:MAX_NEW_MATCHES]
        found = self.interests.record_matches(search.id, matches, newest_rev, now=self.clock())
        return len(fresh), found
