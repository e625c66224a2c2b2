from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from papersift.engine import Engine
from papersift.store.category_index import category_metadata
from papersift.store.limits import limits_metadata
from papersift.store.schema import metadata
from papersift.store.search_schema import search_metadata
from tests.conftest import make_paper


def test_migrations_create_exactly_the_declared_schema(engine: Engine) -> None:
    with engine.db.connect() as connection:
        context = MigrationContext.configure(connection)
        # the derived category index and the transient rate limits are declared on their own
        declared = [metadata, category_metadata, limits_metadata]
        if engine.db.dialect.name == "postgresql":
            declared.append(search_metadata)  # the search indexes live in the database there
        assert compare_metadata(context, declared) == []  # type: ignore[arg-type]


def test_sqlite_store_uses_wal(engine: Engine) -> None:
    if engine.db.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    with engine.db.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_reopening_a_store_keeps_its_papers_and_identity(engine: Engine) -> None:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper("2501.00001")])
    identity = engine.papers.store_id()
    again = Engine(engine.settings)
    assert again.papers.count() == 1
    assert again.papers.store_id() == identity
    again.close()


def test_upsert_counts_and_revisions(engine: Engine) -> None:
    store = engine.papers
    with engine.db.begin() as connection:
        first = store.upsert(connection, [make_paper("a:1"), make_paper("a:2")])
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    rev_after_first = store.max_rev()
    with engine.db.begin() as connection:
        again = store.upsert(connection, [make_paper("a:1"), make_paper("a:2")])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert store.max_rev() == rev_after_first  # nothing changed, so no new revision
    with engine.db.begin() as connection:
        changed = store.upsert(connection, [make_paper("a:2", title="Changed", version=2)])
    assert (changed.added, changed.updated) == (0, 1)
    assert [p.id for _, p in store.changed_since(rev_after_first)] == ["a:2"]


def test_duplicates_within_a_batch_are_merged(engine: Engine) -> None:
    with engine.db.begin() as connection:
        counts = engine.papers.upsert(
            connection,
            [make_paper("x:1", version=1, title="v1"), make_paper("x:1", version=2, title="v2")],
        )
    assert counts.added == 1
    stored = engine.papers.get("x:1")
    assert stored is not None and stored.title == "v2"


def test_round_trip_of_every_field(engine: Engine) -> None:
    paper = make_paper(
        "2503.11677",
        doi="10.1000/xyz",
        journal_ref="J. Test 1 (2026)",
        comments="12 pages",
        license="http://creativecommons.org/licenses/by/4.0/",
        submitted=date(2025, 3, 14),
        updated=date(2025, 4, 1),
        categories=("cs.CV", "cs.HC"),
        authors=("Jungyeon Park", "Daniel Palanker"),
    )
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [paper])
    assert engine.papers.get("2503.11677") == paper


def test_changed_since_pages_through_many_papers(engine: Engine) -> None:
    papers = [make_paper(f"p:{i:05d}") for i in range(1234)]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, papers)
    seen = [p.id for _, p in engine.papers.changed_since(0, chunk_size=100)]
    assert seen == sorted(p.id for p in papers)


def test_user_tables_exist_for_later_features(engine: Engine) -> None:
    names = set(sa.inspect(engine.db).get_table_names())
    assert {"users", "votes", "collections", "collection_items", "subscriptions"} <= names


def test_titles_and_authors_of_read_only_the_stored_papers(engine: Engine) -> None:
    papers = [
        make_paper("2503.00001", title="First title", authors=("Ada Lovelace",)),
        make_paper("2503.00002", title="Second title", authors=("Alan Turing", "Kurt Gödel")),
    ]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, papers)
    wanted = ["2503.00002", "2503.00001", "2503.09999"]
    assert engine.papers.titles_of(wanted) == {
        "2503.00001": "First title",
        "2503.00002": "Second title",
    }
    assert engine.papers.authors_of(wanted) == {
        "2503.00001": ("Ada Lovelace",),
        "2503.00002": ("Alan Turing", "Kurt Gödel"),
    }
