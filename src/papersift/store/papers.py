"""Reading and writing papers: batched upserts that merge versions, and change tracking."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from papersift.links import first_repository
from papersift.model import Paper, Version
from papersift.store.counters import PAPER_REV, bump
from papersift.store.merge import merge_papers
from papersift.store.schema import papers, store_info

_SELECT_CHUNK = 500  # ids per IN (...) query; well under SQLite's variable limit
PAPER_COLUMNS = (
    "id", "version", "title", "abstract", "authors", "categories", "submitted", "updated",
    "listed", "doi", "journal_ref", "comments", "license", "source", "versions",
)  # fmt: skip
# Built once: SQLAlchemy then reuses the compiled statement, where building `id IN (...)` anew
# for every call cost more than SQLite's own work (0.68 against 0.39 ms for 20 titles).
_IDS: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
_PAPERS_BY_ID = sa.select(*(papers.c[name] for name in PAPER_COLUMNS)).where(papers.c.id.in_(_IDS))
_COLUMN_BY_ID = {
    column: sa.select(papers.c.id, papers.c[column]).where(papers.c.id.in_(_IDS))
    for column in ("title", "authors")
}


@dataclass
class UpsertCounts:
    """What one write did: papers added, papers changed, records that changed nothing."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


class PaperStore:
    """Papers in the database. Methods given a ``Connection`` run in the caller's transaction."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    # writing -----------------------------------------------------------------------------------

    def upsert(self, connection: Connection, batch: Sequence[Paper]) -> UpsertCounts:
        """Merge ``batch`` into the store; unchanged papers are not touched.

        Records of the same paper within the batch are merged first, so a batch may hold duplicates.
        Changed papers get a fresh revision number, which is what incremental indexing follows.
        """
        incoming = _merge_duplicates(batch)
        stored = self._get_many(connection, list(incoming))
        counts = UpsertCounts()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for paper_id, paper in incoming.items():
            previous = stored.get(paper_id)
            merged = merge_papers(previous, paper) if previous else paper
            if previous is not None and merged == previous:
                counts.unchanged += 1
                continue
            (updates if previous else inserts).append(_to_row(merged))
        if not inserts and not updates:
            return counts
        rev = self._next_rev(connection)
        now = datetime.now(UTC)
        for row in (*inserts, *updates):
            row.update(rev=rev, ingested_at=now)
        if inserts:
            connection.execute(papers.insert(), inserts)
        if updates:
            self._update_rows(connection, updates)
        counts.added, counts.updated = len(inserts), len(updates)
        return counts

    def _update_rows(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        values: dict[str, Any] = {
            name: sa.bindparam(f"new_{name}") for name in rows[0] if name != "id"
        }
        statement = papers.update().where(papers.c.id == sa.bindparam("old_id")).values(values)
        params = [{"old_id": row["id"], **{f"new_{k}": v for k, v in row.items()}} for row in rows]
        connection.execute(statement, params)

    def _next_rev(self, connection: Connection) -> int:
        return bump(connection, PAPER_REV)

    # reading -----------------------------------------------------------------------------------

    def get(self, paper_id: str) -> Paper | None:
        with self.db.connect() as connection:
            return self._get_many(connection, [paper_id]).get(paper_id)

    def get_many(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        with self.db.connect() as connection:
            return self._get_many(connection, paper_ids)

    def _get_many(self, connection: Connection, paper_ids: Sequence[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        for start in range(0, len(paper_ids), _SELECT_CHUNK):
            chunk = list(paper_ids[start : start + _SELECT_CHUNK])
            rows = connection.execute(_PAPERS_BY_ID, {"ids": chunk})
            found.update((row.id, paper_from_row(row._mapping)) for row in rows)
        return found

    def titles_of(self, paper_ids: Sequence[str]) -> dict[str, str]:
        """The titles of those ``paper_ids`` that are stored (nothing else is read)."""
        return {pid: str(title) for pid, title in self._column_of(paper_ids, "title").items()}

    def authors_of(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The author lists of those ``paper_ids`` that are stored (nothing else is read)."""
        return {pid: tuple(names) for pid, names in self._column_of(paper_ids, "authors").items()}

    def _column_of(self, paper_ids: Sequence[str], column: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _SELECT_CHUNK):
                chunk = list(paper_ids[start : start + _SELECT_CHUNK])
                rows = connection.execute(_COLUMN_BY_ID[column], {"ids": chunk})
                found.update((row[0], row[1]) for row in rows)
        return found

    def category_counts(self) -> dict[str, int]:
        """How many stored papers are in each category (only that column is read)."""
        counts: Counter[str] = Counter()
        with self.db.connect() as connection:
            for row in connection.execute(sa.select(papers.c.categories)):
                counts.update(set(row.categories or ()))
        return dict(counts)

    def count(self) -> int:
        with self.db.connect() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
            )

    def ids_with_code(self) -> frozenset[str]:
        """Ids of the papers whose abstract or comments link to a code repository."""
        with self.db.connect() as connection:
            rows = connection.execute(sa.select(papers.c.id).where(papers.c.code_url.is_not(None)))
            return frozenset(row.id for row in rows)

    def max_rev(self) -> int:
        with self.db.connect() as connection:
            value = connection.execute(sa.select(sa.func.max(papers.c.rev))).scalar()
        return int(value or 0)

    def store_id(self) -> str:
        with self.db.connect() as connection:
            return str(
                connection.execute(
                    sa.select(store_info.c.value).where(store_info.c.key == "store_id")
                ).scalar_one()
            )

    def changed_since(self, rev: int, *, chunk_size: int = 5000) -> Iterator[tuple[int, Paper]]:
        """Papers whose revision is above ``rev``, in revision order, read in chunks."""
        columns = [papers.c[name] for name in PAPER_COLUMNS]
        after = papers.c.rev > rev
        while True:
            with self.db.connect() as connection:
                rows = connection.execute(
                    sa.select(*columns, papers.c.rev)
                    .where(after)
                    .order_by(papers.c.rev, papers.c.id)
                    .limit(chunk_size)
                ).all()
            if not rows:
                return
            for row in rows:
                yield int(row.rev), paper_from_row(row._mapping)
            last_rev, last_id = int(rows[-1].rev), str(rows[-1].id)
            after = sa.or_(
                papers.c.rev > last_rev, sa.and_(papers.c.rev == last_rev, papers.c.id > last_id)
            )

    def iter_all(self, *, chunk_size: int = 5000) -> Iterator[Paper]:
        for _rev, paper in self.changed_since(0, chunk_size=chunk_size):
            yield paper


def _merge_duplicates(batch: Iterable[Paper]) -> dict[str, Paper]:
    merged: dict[str, Paper] = {}
    for paper in batch:
        known = merged.get(paper.id)
        merged[paper.id] = merge_papers(known, paper) if known else paper
    return merged


def _to_row(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "submitted": paper.submitted,
        "updated": paper.updated,
        "listed": paper.listed,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "comments": paper.comments,
        "license": paper.license,
        "source": paper.source,
        "versions": [v.to_dict() for v in paper.versions],
        "content_hash": paper.content_hash(),
        "code_url": first_repository(paper.abstract, paper.comments),
    }


def paper_from_row(row: Any) -> Paper:
    return Paper(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(row["authors"]),
        categories=tuple(row["categories"]),
        submitted=row["submitted"],
        updated=row["updated"],
        listed=row["listed"],
        doi=row["doi"],
        journal_ref=row["journal_ref"],
        comments=row["comments"],
        license=row["license"],
        source=row["source"],
        versions=tuple(Version.from_dict(v) for v in row["versions"]),
    )
