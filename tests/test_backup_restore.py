"""Backups, restores and a store that goes back in time: the indexes always end up mirroring the
store, and nothing the backup held is lost (SQLite stores; PostgreSQL uses pg_dump)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from papersift.cli import main
from papersift.engine import Engine
from papersift.errors import InvalidInputError
from papersift.settings import Settings
from papersift.store.schema import metadata
from tests.conftest import TEST_BACKEND, make_paper, write_jsonl
from tests.dsi.helpers import HashingEmbedder

pytestmark = pytest.mark.skipif(
    TEST_BACKEND != "sqlite", reason="backup and restore copy SQLite stores (pg_dump otherwise)"
)
NOW = datetime(2026, 3, 12, 12, tzinfo=UTC)


def _papers(first: int, count: int) -> list[Any]:
    return [
        make_paper(
            f"2601.{number:05d}",
            title=f"Study number{number} of sparse tensors",
            listed=date(2026, 1, 1 + number % 28),
        )
        for number in range(first, first + count)
    ]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")

    def invoke(*args: str, expect: int = 0) -> Result:
        result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *args])
        assert result.exit_code == expect, result.output
        return result

    return invoke


def _found_by_title(run, papers: list[Any]) -> list[str]:  # type: ignore[no-untyped-def]
    """Ids of the papers that a search for their own title does not rank first (one search
    through the CLI, the rest through one engine on the same data directory)."""
    missing = []
    first = run("search", papers[0].title, "--mode", "keyword", "--json", "-k", "1").stdout
    if not first or json.loads(first.splitlines()[0])["id"] != papers[0].id:
        missing.append(papers[0].id)
    data_dir = Path(json.loads(run("stats", "--json").stdout)["data_directory"])
    engine = Engine(Settings(data_dir=data_dir, embedder_backend="none"))
    try:
        for paper in papers[1:]:
            top = engine.search(paper.title, mode="keyword", k=1)
            if not top or top[0].paper.id != paper.id:
                missing.append(paper.id)
    finally:
        engine.close()
    return missing


@pytest.mark.slow
def test_restore_then_ingest_keeps_every_paper_findable(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second, third = _papers(1, 1000), _papers(1001, 1000), _papers(2001, 1000)
    run("ingest", str(write_jsonl(tmp_path / "first.jsonl", first)))
    backup = tmp_path / "backups" / "first.db"
    assert "backed up the store" in run("backup", str(backup)).output
    assert backup.stat().st_mode & 0o777 == 0o600
    run("ingest", str(write_jsonl(tmp_path / "second.jsonl", second)))
    restored = run("restore", str(backup), "--yes").output
    assert "went back in time" in restored or "rebuilt" in restored
    run("ingest", str(write_jsonl(tmp_path / "third.jsonl", third)))
    assert _found_by_title(run, first + third) == []
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["papers"] == 2000 and stats["keyword_index"]["papers"] == 2000
    assert stats["index_behind"] == 0 and stats["index_diverged"] is False


@pytest.mark.slow
def test_a_store_copied_back_by_hand_is_noticed_and_the_index_rebuilt(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    """The same as a power loss dropping the store's last transactions: revisions go back."""
    first, second, third = _papers(1, 30), _papers(31, 30), _papers(61, 30)
    run("ingest", str(write_jsonl(tmp_path / "first.jsonl", first)))
    database = tmp_path / "data" / "papersift.db"
    saved = database.read_bytes()
    run("ingest", str(write_jsonl(tmp_path / "second.jsonl", second)))
    database.write_bytes(saved)  # behind the deployment's back; no -wal: ingest checkpointed
    for suffix in ("-wal", "-shm"):
        (database.parent / f"papersift.db{suffix}").unlink(missing_ok=True)
    assert "the store went back in time" in run("stats").output
    run("ingest", str(write_jsonl(tmp_path / "third.jsonl", third)))
    assert _found_by_title(run, first + third) == []
    gone = [paper.id for paper in second[:3]]
    assert _found_by_title(run, second[:3]) == gone  # gone with the store's history
    assert json.loads(run("stats", "--json").stdout)["index_diverged"] is False


def test_backup_round_trip_keeps_everything(settings: Settings, tmp_path: Path) -> None:
    engine = Engine(settings)
    engine._embedder = HashingEmbedder()
    engine.ingest([write_jsonl(tmp_path / "papers.jsonl", _papers(1, 40))])
    engine.index_vectors()
    user = engine.accounts.sign_up("ada@example.org", "a long passphrase", "Ada")
    engine.vote(user, "2601.00001", True)
    shelf = engine.library.create(user, "Reading", public=False)
    engine.library.put(user, shelf.id, "2601.00002", ("later",))
    engine.interest_store.follow(user.id, "author", "Ada Lovelace")
    engine.interest_store.save_search(
        user.id, name="tensors", query="tensors", mode="bm25", filters={}, checked_rev=0, now=NOW
    )
    engine.digests.log.mark(user.id, date(2026, 3, 12), "sent", "<m@x>", now=NOW)
    before = _rows(engine)
    engine.backup(tmp_path / "snapshot.db")
    engine.vote(user, "2601.00003", True)
    engine.library.delete(user, shelf.id)
    engine.ingest([write_jsonl(tmp_path / "more.jsonl", _papers(41, 5))])
    engine.restore(tmp_path / "snapshot.db")
    after = _rows(engine)
    assert after == before
    assert len(engine.vector_index) == 40  # rebuilt from the stored embeddings
    assert [r.paper.id for r in engine.search("number7", mode="keyword", k=1)] == ["2601.00007"]
    engine.close()


def test_bad_backups_are_refused_and_nothing_is_lost(engine: Engine, tmp_path: Path) -> None:
    engine.ingest([write_jsonl(tmp_path / "papers.jsonl", _papers(1, 3))])
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    for source in (junk, tmp_path / "missing.db"):
        with pytest.raises(InvalidInputError, match="backup"):
            engine.restore(source)
    assert engine.papers.count() == 3
    engine.backup(tmp_path / "one.db")
    with pytest.raises(InvalidInputError, match="exists already"):
        engine.backup(tmp_path / "one.db")


@pytest.mark.slow
def test_a_torn_metadata_file_breaks_no_page_and_the_next_index_repairs_it(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from papersift.web.app import create_app

    run("ingest", str(write_jsonl(tmp_path / "papers.jsonl", _papers(1, 20))))
    meta = tmp_path / "data" / "index" / "keyword" / "papersift.json"
    meta.write_bytes(meta.read_bytes()[:17])  # torn
    engine = Engine(Settings(data_dir=tmp_path / "data", embedder_backend="none"))
    with TestClient(create_app(engine)) as client:
        for path in ("/", "/papers/2601.00001", "/status", "/trending", "/api/status"):
            assert client.get(path).status_code == 200, path
    engine.close()
    assert "is damaged" in run("stats").output
    run("index")
    assert _found_by_title(run, _papers(1, 20)) == []
    assert json.loads(run("stats", "--json").stdout)["keyword_index"]["problem"] is None


@pytest.mark.slow
def test_searches_never_come_back_empty_during_a_rebuild(
    settings: Settings, tmp_path: Path
) -> None:
    semantic = {"vector_exact_below": 0, "embedder_backend": "static"}
    writer = Engine(settings.model_copy(update=semantic))
    writer._embedder = HashingEmbedder()
    papers = _papers(1, 3000)
    writer.ingest([write_jsonl(tmp_path / "papers.jsonl", papers)])
    writer.index_vectors()
    server = Engine(settings.model_copy(update=semantic))  # another process: it only refreshes
    server._embedder = HashingEmbedder()
    queries = [paper.title for paper in papers[::300]]
    empty: list[str] = []
    done = threading.Event()

    def search_all_the_time() -> None:
        while not done.is_set():
            server.refresh()
            for query in queries:
                if not server.keyword_index.search(query, 5):
                    empty.append(f"keyword: {query}")
                vector = server.embedder().embed_query(query)
                if not server.vector_index.search(vector, 5):
                    empty.append(f"vector: {query}")

    searcher = threading.Thread(target=search_all_the_time)
    searcher.start()
    try:
        for _ in range(2):
            report = writer.index(rebuild=True)
            assert report.rebuilt and report.vector is not None and report.vector.rebuilt
    finally:
        done.set()
        searcher.join()
    assert empty == []
    writer.close()
    server.close()


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the indexes' own state, sorted."""
    skipped = {"store_info", "page_cache"}
    with engine.db.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.execute(sa.select(table))), key=repr
            )
            for table in metadata.sorted_tables
            if table.name not in skipped
        }
