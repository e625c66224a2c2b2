"""The daily feed: papers by listing day (or week, or month), by category, by upvotes or date.

Without a date the feed opens on the newest day with papers, not later than today. Previous and
next links skip days without papers (weekends, holidays) in the chosen category.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from papersift.model import Paper
from papersift.store.listings import ListingStore, Order
from papersift.store.submissions import Submission, SubmissionStore

Span = Literal["day", "week", "month"]
SPANS: tuple[Span, ...] = ("day", "week", "month")
ORDERS: tuple[Order, ...] = ("upvotes", "date")
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class FeedRequest:
    day: date | None = None
    span: Span = "day"
    category: str | None = None
    order: Order = "upvotes"
    page: int = 1
    page_size: int = PAGE_SIZE
    has_code: bool = False  # only papers that link to a code repository


@dataclass(frozen=True, slots=True)
class FeedEntry:
    paper: Paper
    upvotes: int
    submission: Submission | None


@dataclass(frozen=True, slots=True)
class FeedPage:
    request: FeedRequest
    first: date
    last: date
    entries: list[FeedEntry] = field(default_factory=list)
    total: int = 0
    previous: date | None = None
    next: date | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.page_size))


def span_bounds(day: date, span: Span) -> tuple[date, date]:
    if span == "day":
        return day, day
    if span == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


class DailyFeed:
    def __init__(
        self,
        listings: ListingStore,
        submissions: SubmissionStore,
        *,
        today: Callable[[], date],
    ) -> None:
        self.listings = listings
        self.submissions = submissions
        self.today = today

    def page(self, request: FeedRequest) -> FeedPage:
        category = request.category
        day = request.day or self.listings.latest_day(on_or_before=self.today(), category=category)
        day = day or self.today()
        first, last = span_bounds(day, request.span)
        listed, total = self.listings.page(
            first=first,
            last=last,
            category=category,
            order=request.order,
            limit=request.page_size,
            offset=(request.page - 1) * request.page_size,
            has_code=request.has_code,
        )
        submitted = self.submissions.of_papers([item.paper.id for item in listed])
        entries = [
            FeedEntry(
                item.paper,
                item.upvotes,
                _shown_submission(submitted.get(item.paper.id), first, last),
            )
            for item in listed
        ]
        previous = self.listings.adjacent_day(first, later=False, category=category)
        following = self.listings.adjacent_day(last, later=True, category=category)
        if following is not None and following > self.today():
            following = None
        return FeedPage(request, first, last, entries, total, previous, following)


def _shown_submission(submission: Submission | None, first: date, last: date) -> Submission | None:
    """The submission, when it is what put the paper in this span's feed."""
    if submission is None or not first <= submission.feed_date <= last:
        return None
    return submission
