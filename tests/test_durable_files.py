"""Files papersift writes: index metadata atomically and durably, private data files.

The index metadata (``papersift.json``) goes through a temporary file, fsync, rename and an
fsync of the directory; a damaged one is an index error naming the file and the repair. The data
directory is created 0700; the SQLite database, its -wal/-shm files and the run lock 0600.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from papersift.cli import main
from papersift.errors import IndexError_
from papersift.indexes.meta import META_FILE, read_meta, write_atomically, write_meta
from papersift.runlock import run_lock
from papersift.store.database import migrate, open_database
from tests.conftest import make_paper, write_jsonl


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems give users (022), which let files be created world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# index metadata --------------------------------------------------------------------------------


def test_write_meta_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    write_meta(tmp_path, {"store_rev": 1})
    write_meta(tmp_path, {"store_rev": 2})
    assert read_meta(tmp_path) is not None
    assert (read_meta(tmp_path) or {})["store_rev"] == 2
    assert [p.name for p in tmp_path.iterdir()] == [META_FILE]


def test_write_meta_fsyncs_the_file_before_the_rename_and_the_directory_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        kind = "directory" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file"
        events.append(f"fsync {kind}")
        real_fsync(descriptor)

    def replace(source: object, target: object) -> None:
        events.append("rename")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_meta(tmp_path, {"store_rev": 3})
    assert events == ["fsync file", "rename", "fsync directory"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_meta(tmp_path, {"store_rev": 1})

    def broken_fsync(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_meta(tmp_path, {"store_rev": 2})
    monkeypatch.undo()
    assert (read_meta(tmp_path) or {})["store_rev"] == 1
    assert [p.name for p in tmp_path.iterdir()] == [META_FILE]


def test_write_atomically_sets_the_mode(tmp_path: Path) -> None:
    write_atomically(tmp_path / "a.json", b"{}", mode=0o600)
    write_atomically(tmp_path / "b.json", b"{}")
    assert (mode(tmp_path / "a.json"), mode(tmp_path / "b.json")) == (0o600, 0o644)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b'{"format": 3, "store_', "not valid JSON"),  # torn
        (b"", "empty"),
        (b"\xff\xfe garbage", "not valid JSON"),
        (b"[1, 2]", "JSON list, not an object"),
        (b"null", "JSON NoneType, not an object"),
    ],
)
def test_a_damaged_metadata_file_is_an_index_error_naming_it_and_the_repair(
    tmp_path: Path, content: bytes, what: str
) -> None:
    (tmp_path / META_FILE).write_bytes(content)
    with pytest.raises(IndexError_) as raised:
        read_meta(tmp_path)
    message = str(raised.value)
    assert str(tmp_path / META_FILE) in message
    assert what in message and "damaged" in message
    assert "run `papersift index` to repair it" in message


def test_no_metadata_file_means_no_index(tmp_path: Path) -> None:
    assert read_meta(tmp_path) is None
    assert read_meta(tmp_path / "missing") is None


def test_papersift_index_repairs_a_torn_keyword_index_metadata_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")
    data_dir = tmp_path / "data"

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])
        return result.exit_code, result.output

    papers = [make_paper("2501.00001", title="Sparse attention for long documents")]
    assert run("ingest", str(write_jsonl(tmp_path / "p.jsonl", papers)))[0] == 0
    meta_file = data_dir / "index" / "keyword" / META_FILE
    meta_file.write_bytes(meta_file.read_bytes()[:25])  # a torn write
    code, output = run("search", "sparse")  # tantivy's own files are whole: search works
    assert code == 0 and "2501.00001" in output and "Traceback" not in output
    code, output = run("stats")
    assert code == 0 and str(meta_file) in output and "is damaged" in output
    assert run("index")[0] == 0  # the next index run repairs it
    code, output = run("search", "sparse")
    assert code == 0 and "2501.00001" in output
    assert json.loads(meta_file.read_text())["documents"] == 1


# permissions -----------------------------------------------------------------------------------


def test_a_new_sqlite_store_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "deep" / "data"
    engine = open_database(f"sqlite:///{data_dir / 'papersift.db'}")
    try:
        migrate(engine)
        with engine.connect() as connection:  # a connection keeps the -wal and -shm files
            connection.execute(sa.text("SELECT 1"))
            files = sorted(p.name for p in data_dir.iterdir())
            assert files == ["papersift.db", "papersift.db-shm", "papersift.db-wal"]
            assert {name: mode(data_dir / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        engine.dispose()
    assert mode(data_dir) == 0o700


def test_an_existing_database_keeps_its_mode_and_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o644)
    open_database(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o644
    assert "readable by other users" in caplog.text and "chmod 600" in caplog.text


def test_the_run_lock_file_is_private(tmp_path: Path) -> None:
    lock = tmp_path / "data" / "daily.lock"
    with run_lock(lock):
        assert mode(lock) == 0o600
    assert mode(lock.parent) == 0o700


def test_the_cli_creates_a_private_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")
    data_dir = tmp_path / "data"
    papers = [make_paper("2501.00001")]
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(data_dir), "ingest", str(write_jsonl(tmp_path / "p.jsonl", papers))],
    )
    assert result.exit_code == 0, result.output
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "papersift.db") == 0o600
