"""Opening the store's database and bringing its schema up to date.

File permissions
----------------
The database holds the deployment's signing secret and the users' password hashes, so what
papersift creates is private to the user running it: a data directory (or any directory made to
hold a SQLite database) is created with mode 0700, and the SQLite file with mode 0600 before
SQLite first opens it. SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so
they are 0600 too, and so is a store copied with ``papersift migrate-store`` to a new SQLite
file (a backup). The run lock files are 0600 as well (``papersift.runlock``). Directories and
files that already exist keep their mode; a database file that others can read is logged as a
warning once per process (``chmod 600`` it, and ``chmod 700`` its directory).
"""

from __future__ import annotations

import logging
import os
import stat
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, SQLAlchemyError

from papersift.errors import InvalidInputError, StoreError
from papersift.store.schema import store_info

if TYPE_CHECKING:
    from alembic.config import Config

_log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision: a new migration changes it (tests/test_schema_head.py).
SCHEMA_HEAD = "0015"
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
DEFAULT_POOL_SIZE = 10
POSTGRES_DRIVER = "postgresql+psycopg"
POSTGRES_INSTALL_HINT = "pip install 'papersift[postgres]'"


def database_url(url: str) -> str:
    """``url`` with PostgreSQL's plain schemes mapped to the psycopg 3 driver papersift ships
    with (``postgresql://`` would otherwise mean psycopg2)."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme in ("postgres", "postgresql"):
        return f"{POSTGRES_DRIVER}://{rest}"
    return url


def open_database(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    """Create an engine for ``url`` keeping ``pool_size`` connections open (as many again during
    bursts); SQLite files get WAL mode, foreign keys and a busy timeout."""
    url = database_url(url)
    if url.startswith(f"{POSTGRES_DRIVER}:"):
        _require_psycopg()
    options: dict[str, Any] = {}
    if ":memory:" not in url:
        # Enough kept connections for a web server's worker threads: opening one (a PostgreSQL
        # backend process, or SQLite's PRAGMAs) on every request costs more than the query.
        options.update(pool_size=pool_size, max_overflow=pool_size)
    try:
        db = sa.create_engine(
            url,
            json_serializer=lambda value: orjson.dumps(value).decode(),
            json_deserializer=orjson.loads,
            **options,
        )
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"cannot open database {url!r}: {exc}") from exc
    if db.dialect.name == "sqlite":
        _configure_sqlite(db)
    sa.event.listen(db, "handle_error", _refused_value_is_invalid_input)
    return db


def _refused_value_is_invalid_input(context: sa.engine.ExceptionContext) -> Exception | None:
    """A value the database refuses (PostgreSQL: a NUL character in text) is the caller's bad
    input, not a failing store; its transaction is rolled back all the same."""
    error = context.sqlalchemy_exception
    if isinstance(error, DataError):
        reason = str(error.orig).splitlines()[0] if error.orig else "invalid value"
        return InvalidInputError(f"the database refuses a value: {reason}")
    return None


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise StoreError(
            f"a PostgreSQL store needs the psycopg driver: {POSTGRES_INSTALL_HINT}"
        ) from None


def private_directory(path: Path) -> None:
    """Create ``path`` (and missing parents) if needed; the directory itself gets mode 0700.

    An existing directory keeps its mode.
    """
    path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (an existing file keeps its mode)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


_warned_about: set[Path] = set()


def _warn_if_readable_by_others(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO) and path not in _warned_about:
        _warned_about.add(path)
        _log.warning(
            "the database %s (it holds password hashes and the signing secret) is readable by "
            "other users (mode %o): chmod 600 it",
            path,
            stat.S_IMODE(mode),
        )


def _configure_sqlite(db: Engine) -> None:
    database = db.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        try:
            private_directory(path.parent)
            private_file(path)
        except OSError as exc:
            raise StoreError(f"cannot create the database {path}: {exc.strerror or exc}") from exc
        _warn_if_readable_by_others(path)

    @sa.event.listens_for(db, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def migrate(db: Engine) -> None:
    """Apply pending Alembic migrations (a no-op when the schema is current).

    A store already at ``SCHEMA_HEAD`` is recognised with one query, without importing Alembic
    (a tenth of a second that every command would pay); tests check the constant against
    Alembic's own head."""
    try:
        with db.begin() as connection:
            if _stored_revision(connection) != SCHEMA_HEAD:
                _upgrade(connection)
            _ensure_store_id(connection)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the store at {db.url!r}: {exc}") from exc


def _stored_revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(connection: sa.Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration for papersift's migrations (on ``connection``, when given)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def alembic_head() -> str | None:
    """The newest migration as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _ensure_store_id(connection: sa.Connection) -> None:
    """Give the store a random identity once, so indexes can tell a replaced store apart."""
    found = connection.execute(
        sa.select(store_info.c.value).where(store_info.c.key == "store_id")
    ).scalar()
    if found is None:
        connection.execute(store_info.insert().values(key="store_id", value=uuid.uuid4().hex))
