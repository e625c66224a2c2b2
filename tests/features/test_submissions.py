from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from papersift.engine import Engine
from papersift.errors import InvalidIdError, PaperNotFoundError, SubmissionRefusedError
from papersift.features.feed import FeedRequest
from papersift.model import Paper
from papersift.settings import Settings
from tests.conftest import make_paper

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


class FakeArxiv:
    def __init__(self, papers: dict[str, Paper]) -> None:
        self.papers = papers
        self.asked: list[str] = []

    def fetch(self, paper_id: str) -> Paper | None:
        self.asked.append(paper_id)
        return self.papers.get(paper_id)

    def close(self) -> None:
        pass


@pytest.fixture
def setup(settings: Settings) -> tuple[Engine, FakeArxiv]:
    engine = Engine(settings, clock=lambda: NOW)
    arxiv = FakeArxiv(
        {
            "2503.11111": make_paper("2503.11111", submitted=date(2026, 3, 18), listed=None),
            "2502.22222": make_paper("2502.22222", submitted=date(2026, 2, 1), listed=None),
        }
    )
    engine.submissions.arxiv = lambda: arxiv  # type: ignore[assignment,return-value]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper("2503.00001", submitted=date(2026, 3, 19))])
    engine.index(semantic=False)
    return engine, arxiv


def test_fetched_paper_joins_todays_feed_and_the_index(setup: tuple[Engine, FakeArxiv]) -> None:
    engine, arxiv = setup
    user = engine.users.create("s@example.org", "Sam", "x", now=NOW)
    submitted = engine.submissions.submit(user, "https://arxiv.org/abs/2503.11111v2")
    assert submitted.fetched and arxiv.asked == ["2503.11111"]
    assert engine.paper("2503.11111").title == "Paper 2503.11111"
    page = engine.feed.page(FeedRequest())
    assert page.first == NOW.date()
    assert [(e.paper.id, e.submission.submitter if e.submission else None) for e in page.entries] \
        == [("2503.11111", "Sam")]  # fmt: skip
    assert engine.keyword_index.count("Paper") == 2  # the fetched paper is searchable at once


def test_paper_in_store_is_not_fetched(setup: tuple[Engine, FakeArxiv]) -> None:
    engine, arxiv = setup
    user = engine.users.create("s@example.org", "Sam", "x", now=NOW)
    assert not engine.submissions.submit(user, "arXiv:2503.00001").fetched
    assert arxiv.asked == []
    with pytest.raises(SubmissionRefusedError, match="already"):
        engine.submissions.submit(user, "2503.00001")


def test_refusals(setup: tuple[Engine, FakeArxiv]) -> None:
    engine, _ = setup
    user = engine.users.create("s@example.org", "Sam", "x", now=NOW)
    with pytest.raises(SubmissionRefusedError, match=r"47 days ago.*14 days"):
        engine.submissions.submit(user, "2502.22222")
    assert engine.papers.get("2502.22222") is None  # nothing stored for a refused paper
    with pytest.raises(PaperNotFoundError):
        engine.submissions.submit(user, "2503.99999")
    with pytest.raises(InvalidIdError):
        engine.submissions.submit(user, "not an id")
