from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from papersift.engine import Engine
from papersift.features.feed import FeedRequest, span_bounds
from papersift.settings import Settings
from tests.conftest import make_paper

NOW = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)  # a Friday
MON, TUE, THU = date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 12)


@pytest.fixture
def feed_engine(settings: Settings) -> Engine:
    engine = Engine(settings, clock=lambda: NOW)
    papers = [
        make_paper("2503.00001", listed=MON, categories=("cs.LG",)),
        make_paper("2503.00002", listed=TUE, categories=("cs.CL", "cs.LG")),
        make_paper("2503.00003", listed=TUE, categories=("math.CO",)),
        make_paper("2503.00004", listed=THU, categories=("stat.ML",)),
        make_paper("2503.00005", listed=THU, categories=("cs.CV",)),
    ]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, papers)
    engine.index(semantic=False)
    return engine


def _ids(engine: Engine, **request: object) -> list[str]:
    page = engine.feed.page(FeedRequest(**request))  # type: ignore[arg-type]
    return [entry.paper.id for entry in page.entries]


def test_default_is_the_newest_day_with_papers(feed_engine: Engine) -> None:
    page = feed_engine.feed.page(FeedRequest())
    assert page.first == THU and page.total == 2
    assert page.previous == TUE and page.next is None


def test_navigation_skips_empty_days(feed_engine: Engine) -> None:
    page = feed_engine.feed.page(FeedRequest(day=date(2026, 3, 11)))  # Wednesday: nothing
    assert page.total == 0
    assert (page.previous, page.next) == (TUE, THU)


def test_category_filter_matches_cross_lists_and_archives(feed_engine: Engine) -> None:
    assert _ids(feed_engine, day=TUE, category="cs.LG") == ["2503.00002"]
    assert sorted(_ids(feed_engine, day=THU, span="week", category="cs")) == [
        "2503.00001", "2503.00002", "2503.00005",
    ]  # fmt: skip
    page = feed_engine.feed.page(FeedRequest(day=THU, category="cs.LG"))
    assert page.total == 0 and page.previous == TUE


def test_week_and_month_spans(feed_engine: Engine) -> None:
    assert span_bounds(THU, "week") == (MON, date(2026, 3, 15))
    assert span_bounds(THU, "month") == (date(2026, 3, 1), date(2026, 3, 31))
    assert len(_ids(feed_engine, day=THU, span="week")) == 5


def test_sort_by_upvotes_then_date(feed_engine: Engine) -> None:
    user = feed_engine.users.create("a@example.org", "A", "x", now=NOW)
    feed_engine.vote(user, "2503.00001", True)
    ids = _ids(feed_engine, day=THU, span="week", order="upvotes")
    assert ids[0] == "2503.00001"
    assert _ids(feed_engine, day=THU, span="week", order="date")[-1] == "2503.00001"


def test_pages(feed_engine: Engine) -> None:
    first = feed_engine.feed.page(FeedRequest(day=THU, span="week", order="date", page_size=2))
    third = feed_engine.feed.page(
        FeedRequest(day=THU, span="week", order="date", page=3, page_size=2)
    )
    assert first.pages == 3 and len(third.entries) == 1


def test_a_submission_appears_on_its_day_with_the_submitter(feed_engine: Engine) -> None:
    user = feed_engine.users.create("s@example.org", "Sam", "x", now=NOW)
    feed_engine.submissions.submissions.add("2503.00001", user.id, NOW.date(), now=NOW)
    page = feed_engine.feed.page(FeedRequest(day=NOW.date()))
    assert [e.paper.id for e in page.entries] == ["2503.00001"]
    assert page.entries[0].submission is not None
    assert page.entries[0].submission.submitter == "Sam"
    assert feed_engine.feed.page(FeedRequest()).first == NOW.date()
