"""Papers by listing day and category, with their upvote counts: what the feed pages show.

A paper belongs to a day when arXiv listed it that day or when a user submitted it to that day's
feed. Categories are matched inside the stored JSON list, so cross-listed papers count too; an
archive name (``cs``) matches all of its categories (``cs.LG``, ``cs.CL``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.model import Paper
from papersift.store.category_index import category_papers
from papersift.store.papers import PAPER_COLUMNS, paper_from_row
from papersift.store.schema import papers, submissions, votes

Order = Literal["date", "upvotes"]


@dataclass(frozen=True, slots=True)
class Listed:
    paper: Paper
    upvotes: int


def category_condition(category: str) -> sa.ColumnElement[bool]:
    text = sa.cast(papers.c.categories, sa.Text)
    exact = text.like(f'%"{category}"%')
    if "." in category:
        return exact
    return sa.or_(exact, text.like(f'%"{category}.%'))


class ListingStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def page(
        self,
        *,
        first: date | None,
        last: date | None,
        category: str | None,
        order: Order,
        limit: int,
        offset: int,
        has_code: bool = False,
    ) -> tuple[list[Listed], int]:
        """One page of the papers of days [first, last] (any day when None) and the total;
        ``has_code``: only papers that link to a code repository."""
        if first is None and last is None and category and not has_code and order == "date":
            return self._category_page(category, limit=limit, offset=offset)
        condition = self._condition(first, last, category)
        if has_code:
            condition = sa.and_(condition, papers.c.code_url.is_not(None))
        upvotes = (
            sa.select(sa.func.count()).where(votes.c.paper_id == papers.c.id).scalar_subquery()
        ).label("upvotes")
        shown_date = sa.func.coalesce(papers.c.listed, papers.c.submitted)
        ordering = [shown_date.desc(), papers.c.id.desc()]
        if order == "upvotes":
            ordering.insert(0, upvotes.desc())
        columns = [papers.c[name] for name in PAPER_COLUMNS]
        with self.db.connect() as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(papers).where(condition)
            ).scalar_one()
            rows = connection.execute(
                sa.select(*columns, upvotes)
                .where(condition)
                .order_by(*ordering)
                .limit(limit)
                .offset(offset)
            )
            listed = [Listed(paper_from_row(row._mapping), int(row.upvotes)) for row in rows]
        return listed, int(total)

    def _category_page(self, category: str, *, limit: int, offset: int) -> tuple[list[Listed], int]:
        """A category's (or archive's) papers, newest first, from ``category_papers``: the count
        is an index range and the page a walk of it, whatever the page number."""
        keyed = category_papers.c.key == category
        upvotes = (
            sa.select(sa.func.count()).where(votes.c.paper_id == papers.c.id).scalar_subquery()
        ).label("upvotes")
        page_ids = (
            sa.select(category_papers.c.paper_id, category_papers.c.shown)
            .where(keyed)
            .order_by(category_papers.c.shown.desc(), category_papers.c.paper_id.desc())
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        columns = [papers.c[name] for name in PAPER_COLUMNS]
        with self.db.connect() as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(category_papers).where(keyed)
            ).scalar_one()
            rows = connection.execute(
                sa.select(*columns, upvotes)
                .join_from(page_ids, papers, papers.c.id == page_ids.c.paper_id)
                .order_by(page_ids.c.shown.desc(), page_ids.c.paper_id.desc())
            )
            listed = [Listed(paper_from_row(row._mapping), int(row.upvotes)) for row in rows]
        return listed, int(total)

    def newest_first(self, paper_ids: list[str], *, limit: int, offset: int) -> list[Paper]:
        """One page of ``paper_ids``' papers, newest first (by the date they are shown under,
        then id): only ids and dates are sorted, and only the page's papers are read."""
        if not paper_ids:
            return []
        shown = sa.func.coalesce(papers.c.listed, papers.c.submitted, papers.c.updated)
        page = (
            sa.select(papers.c.id)
            .where(papers.c.id.in_(paper_ids))
            .order_by(shown.desc().nulls_last(), papers.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        columns = [papers.c[name] for name in PAPER_COLUMNS]
        with self.db.connect() as connection:
            ids = list(connection.execute(page).scalars())
            rows = connection.execute(sa.select(*columns).where(papers.c.id.in_(ids)))
            found = {row.id: paper_from_row(row._mapping) for row in rows}
        return [found[paper_id] for paper_id in ids if paper_id in found]

    def _condition(
        self, first: date | None, last: date | None, category: str | None
    ) -> sa.ColumnElement[bool]:
        conditions: list[sa.ColumnElement[bool]] = []
        if first is not None and last is not None:
            # One id list rather than "listed in span OR submitted in span": an OR with a
            # subquery makes the database scan every paper instead of using the listed index.
            in_span = papers.alias("in_span")
            listed = sa.select(in_span.c.id).where(in_span.c.listed.between(first, last))
            submitted = sa.select(submissions.c.paper_id).where(
                submissions.c.feed_date.between(first, last), submissions.c.hidden_at.is_(None)
            )
            conditions.append(papers.c.id.in_(sa.union(listed, submitted)))
        if category:
            conditions.append(category_condition(category))
        return sa.and_(sa.true(), *conditions)

    def adjacent_day(self, day: date, *, later: bool, category: str | None) -> date | None:
        """The nearest day before (or after) ``day`` that has papers in the category."""
        listed_days = sa.select(papers.c.listed.label("day")).where(
            papers.c.listed > day if later else papers.c.listed < day
        )
        submitted_days = (
            sa.select(submissions.c.feed_date.label("day"))
            .join(papers, papers.c.id == submissions.c.paper_id)
            .where(submissions.c.feed_date > day if later else submissions.c.feed_date < day)
        )
        if category:
            listed_days = listed_days.where(category_condition(category))
            submitted_days = submitted_days.where(category_condition(category))
        pick = sa.func.min if later else sa.func.max
        with self.db.connect() as connection:
            found = [
                connection.execute(sa.select(pick(query.subquery().c.day))).scalar()
                for query in (listed_days, submitted_days)
            ]
        days: list[date] = [d for d in found if d is not None]
        if not days:
            return None
        return min(days) if later else max(days)

    def latest_day(self, *, on_or_before: date, category: str | None) -> date | None:
        """The newest day, no later than ``on_or_before``, that has papers in the category."""
        return self.adjacent_day(on_or_before + timedelta(days=1), later=False, category=category)
