"""The store recognises a current schema without Alembic, so the constant must follow it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from papersift.store.database import SCHEMA_HEAD, alembic_head, migrate, open_database


def test_schema_head_is_alembics_head() -> None:
    assert alembic_head() == SCHEMA_HEAD


def test_migrate_brings_an_empty_store_to_the_head(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(database)
    migrate(database)  # current: recognised without running Alembic
    with database.connect() as connection:
        stored = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    database.dispose()
    assert stored == SCHEMA_HEAD


def test_migrate_upgrades_a_store_behind_the_head(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(database)
    with database.begin() as connection:
        connection.execute(sa.text("DROP TABLE paper_notes"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0014'"))
    migrate(database)
    with database.connect() as connection:
        assert sa.inspect(connection).has_table("paper_notes")
    database.dispose()
