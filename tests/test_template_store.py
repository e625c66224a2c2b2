"""The suite's stores start as copies of one migrated template (tests/conftest.py): each copy is
at the newest schema, runs no migration, and has a store id of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

from papersift.engine import Engine
from papersift.settings import Settings
from papersift.store import database
from papersift.store.schema import store_info
from tests.conftest import TEST_BACKEND, _sqlite_template

pytestmark = pytest.mark.skipif(TEST_BACKEND != "sqlite", reason="the SQLite template")


def test_a_new_store_is_a_copy_of_the_template_with_its_own_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_migrations(*_args: object) -> None:
        raise AssertionError("a store made from the template runs no migration")

    _sqlite_template()  # made once per process, by Alembic
    monkeypatch.setattr(database, "_upgrade", no_migrations)
    ids = set()
    for name in ("one", "two"):
        engine = Engine(Settings(data_dir=tmp_path / name, embedder_backend="none"))
        try:
            with engine.db.connect() as connection:
                revision = MigrationContext.configure(connection).get_current_revision()
                ids.add(
                    connection.execute(
                        sa.select(store_info.c.value).where(store_info.c.key == "store_id")
                    ).scalar_one()
                )
            assert revision is not None
        finally:
            engine.close()
        assert (tmp_path / name / "papersift.db").stat().st_mode & 0o077 == 0
    assert len(ids) == 2
