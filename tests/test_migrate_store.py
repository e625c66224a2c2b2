"""``papersift migrate-store``: copying a whole store between databases, resumably, verified."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from papersift.cli import main
from papersift.engine import Engine
from papersift.errors import AuthenticationError, InvalidInputError, StoreError
from papersift.settings import Settings
from papersift.store import transfer
from papersift.store.digests import DigestLog
from papersift.store.page_cache import PageCacheStore
from papersift.store.schema import harvest_state, metadata, papers, users, votes
from papersift.store.submissions import SubmissionStore
from papersift.store.transfer import copy_store, verify
from tests import postgres
from tests.conftest import make_paper

PASSWORD = "correct horse battery"
# Ids whose order differs between bytewise and locale-aware comparison (case, punctuation).
PAPER_IDS = ["2501.00001", "2501.00002", "scifact:10", "scifact:9", "Zeta:1", "alpha:1", "a-b:2"]

OpenEngine = Callable[[str], Engine]


@pytest.fixture
def open_engine(tmp_path: Path) -> Iterator[OpenEngine]:
    """Engines on given store URLs (each with a data dir of its own), closed afterwards."""
    opened: list[Engine] = []

    def open_(url: str) -> Engine:
        data_dir = tmp_path / f"data{len(opened)}"
        settings = Settings(data_dir=data_dir, database_url=url, embedder_backend="none")
        opened.append(Engine(settings))
        return opened[-1]

    yield open_
    for engine in opened:
        engine.close()


def sqlite_url(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{tmp_path / name / 'papersift.db'}"


@pytest.fixture
def source(tmp_path: Path, open_engine: OpenEngine) -> str:
    """A SQLite store with a row in every table."""
    url = sqlite_url(tmp_path, "source")
    fill(open_engine(url))
    return url


def fill(engine: Engine) -> None:
    now = engine.clock()
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper(paper_id) for paper_id in PAPER_IDS])
    ada = engine.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    grace = engine.accounts.sign_up("grace@example.org", PASSWORD, "Grace")
    engine.accounts.log_in("ada@example.org", PASSWORD, client="127.0.0.1")  # a session
    with pytest.raises(AuthenticationError):  # a failed login
        engine.accounts.log_in("ada@example.org", "wrong password!", client="127.0.0.1")
    # a wrong password when confirming a change (failed logins count in rate_limits, which is
    # not copied: its counters are transient)
    engine.users.record_failure(["confirm:ada@example.org"], now=now)
    engine.vote(ada, "2501.00001", True)
    engine.vote(grace, "scifact:9", True)
    collection = engine.library.create(ada, "Reading list", public=True)
    engine.library.put(ada, collection.id, "alpha:1", ("graphs", "rl"))
    interests = engine.interest_store
    interests.subscribe(ada.id, "daily", ["feed", "alerts"], now=now)
    interests.follow(ada.id, "author", "Ada Lovelace")
    interests.dismiss(ada.id, "Zeta:1", now=now)
    filters = {"b": 1, "a": [2]}
    search = interests.save_search(
        ada.id, name="graphs", query="graph", mode="bm25", filters=filters, checked_rev=1, now=now
    )
    interests.record_matches(search.id, ["2501.00002"], 1, now=now)
    interests.save_model(ada.id, "signals", b"\x00\x01model", now=now)
    DigestLog(engine.db).mark(ada.id, date(2026, 1, 6), "sent", "<m@x>", now=now)
    SubmissionStore(engine.db).add("a-b:2", grace.id, date(2026, 1, 6), now=now)
    PageCacheStore(engine.db).put("k", "v1", b"<html>", now=now, max_entries=10)
    # discussion, moderation, shared collections, the reading workflow
    engine.discussion.set_admin("grace@example.org", True)
    comment = engine.discussion.post(ada, "2501.00001", "A comment")
    engine.discussion.report(grace, comment, "a report")
    engine.community.vote(grace, collection.id, True)
    engine.reading.mark_read(ada, "2501.00002")
    engine.reading.set_hide_seen(ada, True)
    engine.my_library.set_note(ada, "2501.00001", "A note")
    vectors = np.ones((2, 4), dtype=np.float32)
    engine.embeddings.save("model-x", ["2501.00001", "alpha:1"], ["h1", "h2"], vectors)
    with engine.db.begin() as connection:
        connection.execute(
            harvest_state.insert().values(
                key="cs", resumption_token=None, pages=1, records=2, status="done", updated_at=now
            )
        )


def rows_of(url: str, table: sa.Table) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.execute(sa.select(table))]
    engine.dispose()
    return found


def test_every_table_is_copied_and_the_copy_works(
    source: str, tmp_path: Path, open_engine: OpenEngine
) -> None:
    target = sqlite_url(tmp_path, "target")
    report = copy_store(source, target, progress=False)
    checks = {check.table: check for check in report.verification.checks}
    assert set(checks) == {table.name for table in metadata.sorted_tables}
    assert all(check.ok and check.source_rows > 0 for check in checks.values()), checks
    assert report.copied["papers"] == len(PAPER_IDS) and report.copied["store_info"] == 1
    copy = open_engine(target)
    assert copy.papers.store_id() == open_engine(source).papers.store_id()
    assert copy.papers.count() == len(PAPER_IDS)
    assert copy.papers.get("scifact:9") is not None
    user, _ = copy.accounts.log_in("ada@example.org", PASSWORD, client="127.0.0.1")
    assert [c.name for c in copy.library.of_user(user)] == ["Reading list"]
    newcomer = copy.accounts.sign_up("new@example.org", PASSWORD, "New")
    assert newcomer.id == 3


def test_a_complete_copy_is_skipped_when_run_again(source: str, tmp_path: Path) -> None:
    target = sqlite_url(tmp_path, "target")
    copy_store(source, target, progress=False)
    again = copy_store(source, target, progress=False)
    assert again.total_copied == 0 and not again.verification.mismatched


@pytest.mark.parametrize(("table", "batch_size"), [(papers, 2), (votes, 1)])
def test_an_interrupted_copy_resumes_without_duplicates(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: sa.Table, batch_size: int
) -> None:
    target = sqlite_url(tmp_path, "target")
    real_insert = transfer._insert_batch
    batches: list[int] = []

    def interrupted(connection: sa.Connection, into: sa.Table, rows: list[Any]) -> None:
        real_insert(connection, into, rows)
        if into is table:
            batches.append(len(rows))
            if len(batches) == 2:
                raise KeyboardInterrupt  # inside the second batch's transaction

    monkeypatch.setattr(transfer, "_insert_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        copy_store(source, target, batch_size=batch_size, progress=False)
    assert len(rows_of(target, table)) == batch_size  # the first batch only
    monkeypatch.setattr(transfer, "_insert_batch", real_insert)

    report = copy_store(source, target, batch_size=batch_size, progress=False)
    expected = rows_of(source, table)
    assert report.copied[table.name] == len(expected) - batch_size
    assert sorted(rows_of(target, table)) == sorted(expected)
    assert not report.verification.mismatched


def test_another_deployment_is_refused_and_left_untouched(
    source: str, tmp_path: Path, open_engine: OpenEngine
) -> None:
    target = sqlite_url(tmp_path, "other")
    other = open_engine(target)
    with other.db.begin() as connection:
        other.papers.upsert(connection, [make_paper("2601.00001")])
    identity = other.papers.store_id()
    with pytest.raises(StoreError, match=r"another papersift deployment.*papers \(1\)"):
        copy_store(source, target, progress=False)
    assert other.papers.count() == 1 and other.papers.store_id() == identity


def test_a_copy_written_to_since_is_not_continued(source: str, tmp_path: Path) -> None:
    target = sqlite_url(tmp_path, "target")
    copy_store(source, target, progress=False)
    engine = sa.create_engine(target)
    with engine.begin() as connection:
        late = {"email": "late@example.org", "display_name": "Late", "password_hash": "x"}
        connection.execute(users.insert().values(is_admin=False, created_at=sa.func.now(), **late))
    engine.dispose()
    with pytest.raises(StoreError, match=r"not a partial copy.*users"):
        copy_store(source, target, progress=False)


def test_the_same_database_is_refused(source: str) -> None:
    roundabout = source.replace("/source/", "/source/../source/")
    for target in (source, roundabout):
        with pytest.raises(InvalidInputError, match="same database"):
            copy_store(source, target, progress=False)


def test_missing_sources_and_bad_urls_are_refused(source: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "papersift.db"
    with pytest.raises(StoreError, match="no store at"):
        copy_store(f"sqlite:///{missing}", sqlite_url(tmp_path, "target"), progress=False)
    assert not missing.parent.exists()
    with pytest.raises(StoreError, match="cannot open database"):
        copy_store(source, "nonsense", progress=False)
    with pytest.raises(StoreError, match="cannot open database"):
        copy_store(source, "mysteriousdb://host/db", progress=False)
    with pytest.raises(InvalidInputError, match="in-memory"):
        copy_store(source, "sqlite://", progress=False)


def test_a_tampered_row_is_a_mismatch(source: str, tmp_path: Path) -> None:
    target = sqlite_url(tmp_path, "target")
    copy_store(source, target, progress=False)
    engine = sa.create_engine(target)
    with engine.begin() as connection:
        connection.execute(papers.update().where(papers.c.id == "scifact:9").values(title="X"))
    engine.dispose()
    report = verify(source, target)
    assert report.mismatched == ["papers"]
    assert "MISMATCH" in "\n".join(report.lines())
    with pytest.raises(StoreError, match="differs from the source in: papers"):
        copy_store(source, target, progress=False)


def test_sqlite_to_postgresql_and_back(
    source: str, tmp_path: Path, postgres_root: Path, open_engine: OpenEngine
) -> None:
    # A session time zone far from UTC: timestamps must still arrive unchanged.
    target = postgres.fresh_database(postgres_root) + "&options=-c%20timezone%3DAsia/Tokyo"
    report = copy_store(source, target, batch_size=3, progress=False)
    assert not report.verification.mismatched
    assert copy_store(source, target, batch_size=3, progress=False).total_copied == 0
    copy = open_engine(target)
    assert copy.papers.count() == len(PAPER_IDS)
    assert copy.papers.get("Zeta:1") == open_engine(source).papers.get("Zeta:1")
    copy.accounts.log_in("grace@example.org", PASSWORD, client="127.0.0.1")
    assert copy.accounts.sign_up("new@example.org", PASSWORD, "New").id == 3  # sequences moved
    later = copy.clock() + timedelta(days=1)
    assert copy.votes.set_vote(3, "2501.00001", True, now=later) == 2

    back = sqlite_url(tmp_path, "back")
    assert not copy_store(target, back, progress=False).verification.mismatched
    assert rows_of(back, harvest_state) == rows_of(source, harvest_state)


def test_the_command_copies_and_reports(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERSIFT_DATABASE_URL", source)
    target = sqlite_url(tmp_path, "target")

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "cli"), *args])

    result = run("migrate-store", "--to", target, "--batch-size", "2")  # --from: this deployment
    assert result.exit_code == 0, result.output
    assert "papers" in result.output and "OK" in result.output
    assert "tables verified" in result.output
    same = run("migrate-store", "--from", target, "--to", target)
    assert same.exit_code == 1 and "same database" in same.output
    assert run("migrate-store", "--to", target, "--batch-size", "0").exit_code == 2
