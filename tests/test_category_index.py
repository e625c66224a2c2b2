"""Category pages from ``category_papers``: kept in step with the papers by triggers, and the
same pages as the scan they replace, at any page number."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from papersift.model import Paper
from papersift.store.category_index import category_papers
from papersift.store.database import migrate, open_database
from papersift.store.listings import ListingStore, category_condition
from papersift.store.papers import PaperStore
from papersift.store.schema import papers
from tests.conftest import make_paper, store_url

CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "math.PR", "math-ph", "hep-th", "stat.ML", "q-bio.BM"]


@pytest.fixture
def database(tmp_path: Path, postgres_root: Path) -> Iterator[Any]:
    (tmp_path / "data").mkdir()
    engine = open_database(store_url(tmp_path / "data", postgres_root))
    migrate(engine)
    yield engine
    engine.dispose()


def corpus(count: int, seed: int = 3) -> list[Paper]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        chosen = tuple(rng.sample(CATEGORIES, rng.randint(1, 3)))
        day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 20))
        listed = None if number % 11 == 0 else day
        made.append(
            make_paper(f"2601.{number:05d}", categories=chosen, listed=listed, submitted=day)
        )
    return made


def scanned(database: Any, category: str) -> list[str]:
    """The page order the category scan gives (what the listing used before the index)."""
    shown = sa.func.coalesce(papers.c.listed, papers.c.submitted)
    with database.connect() as connection:
        rows = connection.execute(
            sa.select(papers.c.id)
            .where(category_condition(category))
            .order_by(shown.desc(), papers.c.id.desc())
        )
        return [row.id for row in rows]


def listed_ids(listings: ListingStore, category: str, size: int) -> tuple[list[str], int]:
    ids: list[str] = []
    total = 0
    for page in range(1, 100):
        found, total = listings.page(
            first=None, last=None, category=category, order="date", limit=size,
            offset=(page - 1) * size,
        )  # fmt: skip
        if not found:
            break
        ids += [item.paper.id for item in found]
    return ids, total


def test_category_pages_match_the_scan_and_follow_every_change(database: Any) -> None:
    store, listings = PaperStore(database), ListingStore(database)
    papers_made = corpus(120)
    with database.begin() as connection:
        store.upsert(connection, papers_made)
    for category in [*CATEGORIES, "cs", "math", "q-bio", "astro-ph"]:
        ids, total = listed_ids(listings, category, 7)
        assert ids == scanned(database, category) and total == len(ids), category
    # a paper changes its categories and date, another is deleted: the pages follow
    moved = papers_made[5]
    changed = make_paper(moved.id, categories=("astro-ph.GA",), listed=date(2026, 2, 1))
    with database.begin() as connection:
        store.upsert(connection, [changed])
        connection.execute(papers.delete().where(papers.c.id == papers_made[7].id))
    for category in ["astro-ph", "astro-ph.GA", *CATEGORIES, "cs", "math"]:
        ids, total = listed_ids(listings, category, 9)
        assert ids == scanned(database, category) and total == len(ids), category
    assert listed_ids(listings, "astro-ph", 5)[0] == [moved.id]
    with database.connect() as connection:
        keys = connection.execute(
            sa.select(category_papers.c.key).where(category_papers.c.paper_id == moved.id)
        ).scalars()
        assert sorted(keys) == ["astro-ph", "astro-ph.GA"]
        gone = connection.execute(
            sa.select(sa.func.count())
            .select_from(category_papers)
            .where(category_papers.c.paper_id == papers_made[7].id)
        ).scalar_one()
        assert gone == 0
