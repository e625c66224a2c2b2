"""Copying a whole store into another database (SQLite or PostgreSQL): ``migrate-store``.

Every table of the schema is copied in foreign-key order, in batches ordered by primary key, each
batch in its own transaction. A copy that stops (Ctrl-C, a crash) leaves the target holding a
prefix of every table, so running it again continues after the last key the target holds. The
target takes over the source's ``store_info`` (its ``store_id``, which index metadata refers to):
that is also how a partial copy is told apart from another deployment, which is refused.

The copy is then verified table by table: equal row counts and equal checksums over the rows in
key order, their values normalised so that SQLite and PostgreSQL give the same digest. Keys are
ordered bytewise on both backends (PostgreSQL's ``"C"`` collation, SQLite's default) so both read
the rows in the same order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from tqdm import tqdm

from papersift.errors import InvalidInputError, StoreError
from papersift.store.database import database_url, migrate, open_database
from papersift.store.schema import metadata, store_info

DEFAULT_BATCH_SIZE = 5000
BYTEWISE_COLLATION = "C"
CHECKSUM_SHOWN = 12

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class TableCheck:
    """One table on both sides: row counts and checksums."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_checksum) == (self.target_rows, self.target_checksum)

    def line(self, copied: int | None = None) -> str:
        rows = f"{self.source_rows:>10,}"
        if self.target_rows != self.source_rows:
            rows = f"{self.source_rows:>10,} (target {self.target_rows:,})"
        copied_column = "" if copied is None else f"{copied:>10,}  "
        status = "OK" if self.ok else "MISMATCH"
        checksum = self.source_checksum[:CHECKSUM_SHOWN]
        if self.target_checksum != self.source_checksum:
            checksum += f" (target {self.target_checksum[:CHECKSUM_SHOWN]})"
        return f"{self.table:<18}{rows}  {copied_column}{checksum}  {status}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The comparison of every table of two stores."""

    checks: tuple[TableCheck, ...]

    @property
    def mismatched(self) -> list[str]:
        return [check.table for check in self.checks if not check.ok]

    def lines(self) -> list[str]:
        header = f"{'table':<18}{'rows':>10}  {'checksum':<{CHECKSUM_SHOWN}}  status"
        return [header, *(check.line() for check in self.checks)]

    def require_match(self) -> None:
        """Raise StoreError naming every table that differs."""
        if self.mismatched:
            raise StoreError(
                "\n".join(self.lines())
                + f"\nthe copy differs from the source in: {', '.join(self.mismatched)}. "
                "Was either changed during or after the copy? Stop every papersift process "
                "using them and copy into a new, empty database."
            )


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What a copy did: the rows it inserted per table, and the verification that followed."""

    source: str
    target: str
    copied: dict[str, int]
    verification: VerifyReport

    @property
    def total_copied(self) -> int:
        return sum(self.copied.values())

    def lines(self) -> list[str]:
        header = (
            f"{'table':<18}{'rows':>10}  {'copied':>10}  {'checksum':<{CHECKSUM_SHOWN}}  status"
        )
        checks = self.verification.checks
        return [header, *(check.line(self.copied.get(check.table, 0)) for check in checks)]

    def summary(self) -> str:
        return (
            f"copied {self.total_copied:,} rows from {self.source} to {self.target}; "
            f"all {len(self.verification.checks)} tables verified"
        )


# copying ---------------------------------------------------------------------------------------


def copy_store(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> TransferReport:
    """Copy every table of the store at ``source_url`` into ``target_url``, then verify the copy.

    Resumes an interrupted copy into the same target. Raises InvalidInputError for unusable
    arguments, StoreError for a target holding another deployment (nothing is written) and for
    a copy that does not match its source.
    """
    _require_positive(batch_size)
    with _opened(source_url, target_url) as (source, target):
        taken = _prepare(source, target)
        copied = {
            table.name: _copy_table(source, target, table, batch_size, progress)
            for table in metadata.sorted_tables
        }
        copied[store_info.name] += taken
        _reset_sequences(target)
        verification = _verify(source, target, batch_size, progress)
        report = TransferReport(_describe(source), _describe(target), copied, verification)
    verification.require_match()
    return report


def verify(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> VerifyReport:
    """Compare every table of two stores (row counts and checksums); writes nothing."""
    _require_positive(batch_size)
    with _opened(source_url, target_url, target_exists=True) as (source, target):
        for db in (source, target):
            _require_store(db)
        return _verify(source, target, batch_size, progress)


def _require_positive(batch_size: int) -> None:
    if batch_size < 1:
        raise InvalidInputError(f"the batch size must be at least 1, not {batch_size}")


@contextmanager
def _opened(
    source_url: str, target_url: str, *, target_exists: bool = False
) -> Iterator[tuple[Engine, Engine]]:
    """Both stores' engines (URLs checked first), disposed afterwards; database errors become
    StoreError."""
    _refuse_in_memory(source_url)
    _refuse_in_memory(target_url)
    source = _open_existing(source_url)
    target = _open_existing(target_url) if target_exists else open_database(target_url)
    try:
        _refuse_same_database(source, target)
        yield source, target
    except SQLAlchemyError as exc:
        raise StoreError(f"copying the store failed: {_reason(exc)}") from exc
    finally:
        source.dispose()
        target.dispose()


def _open_existing(url: str) -> Engine:
    """Open a store that must exist: connecting to a missing SQLite file would create it."""
    path = _sqlite_file(url)
    if path is not None and not path.is_file():
        raise StoreError(f"there is no store at {url}: {path} does not exist")
    return open_database(url)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases, and for a URL open_database refuses)."""
    parsed = _parsed(url)
    if parsed is None or parsed.get_backend_name() != "sqlite" or _in_memory(parsed):
        return None
    return Path(str(parsed.database))


def _refuse_in_memory(url: str) -> None:
    parsed = _parsed(url)
    if parsed is not None and parsed.get_backend_name() == "sqlite" and _in_memory(parsed):
        raise InvalidInputError(
            f"{url} is an in-memory SQLite database, which cannot be copied from or to: "
            "name a file (sqlite:////path/papersift.db)"
        )


def _parsed(url: str) -> sa.URL | None:
    try:
        return sa.make_url(database_url(url))
    except ArgumentError:
        return None  # open_database says what is wrong with it


def _in_memory(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _refuse_same_database(source: Engine, target: Engine) -> None:
    if _identity(source.url) == _identity(target.url):
        raise InvalidInputError(
            f"the source and the target are the same database: {_describe(source)}"
        )


def _identity(url: sa.URL) -> object:
    """What names a database: a SQLite file's real path; otherwise the URL without credentials."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return (backend, Path(url.database or "").resolve())
    return url.set(drivername=backend, username=None, password=None)


def _describe(db: Engine) -> str:
    return db.url.render_as_string(hide_password=True)


def _reason(exc: Exception) -> str:
    """The first line of a database error, without the statement and its (many) parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# the target: a new store, or a partial copy of this source ------------------------------------


def _prepare(source: Engine, target: Engine) -> int:
    """Bring both schemas up to date and make the target a (partial) copy of the source;
    returns how many ``store_info`` rows it copied.

    Another deployment in the target is refused before anything is written to it.
    """
    _require_store(source)
    migrate(source)
    already_copying = _check_target(target, _store_id(source))
    migrate(target)
    taken = 0 if already_copying else _take_over_store_info(source, target)
    _refuse_diverged(source, target)
    return taken


def _require_store(db: Engine) -> None:
    if not sa.inspect(db).has_table(store_info.name):
        raise StoreError(f"there is no papersift store at {_describe(db)}")


def _store_id(db: Engine) -> str | None:
    query = sa.select(store_info.c.value).where(store_info.c.key == "store_id")
    with db.connect() as connection:
        return connection.execute(query).scalar()


def _check_target(target: Engine, source_id: str | None) -> bool:
    """True when the target already is a copy (maybe partial) of the source; False for a new or
    empty database. Raises StoreError when it holds another deployment's data."""
    existing = set(sa.inspect(target).get_table_names())
    if store_info.name not in existing:
        return False
    target_id = _store_id(target)
    if target_id is not None and target_id == source_id:
        return True
    filled = {
        table.name: rows
        for table in metadata.sorted_tables
        if table.name in existing and table is not store_info and (rows := _count(target, table))
    }
    if filled:
        held = ", ".join(f"{name} ({rows:,})" for name, rows in filled.items())
        raise StoreError(
            f"{_describe(target)} holds another papersift deployment (store id {target_id}, "
            f"not the source's {source_id}), with rows in {held}. Nothing was written; copy "
            "into a new, empty database."
        )
    return False


def _take_over_store_info(source: Engine, target: Engine) -> int:
    """Replace the new target's identity (given by its migration) with the source's."""
    with source.connect() as connection:
        rows = [row._asdict() for row in connection.execute(sa.select(store_info))]
    with target.begin() as connection:
        connection.execute(store_info.delete())
        connection.execute(store_info.insert(), rows)
    return len(rows)


def _refuse_diverged(source: Engine, target: Engine) -> None:
    """Every table of the target must hold the source's rows up to its last key, and no others:
    a copy that was written to since (or a changed source) is not continued."""
    for table in metadata.sorted_tables:
        last = _last_key(target, table)
        if last is None:
            continue
        held, expected = _count(target, table), _count(source, table, upto=last)
        if held != expected:
            raise StoreError(
                f"{_describe(target)} is not a partial copy of {_describe(source)}: its table "
                f"{table.name} has {held:,} rows where the source has {expected:,} up to key "
                f"{last}. Copy into a new, empty database."
            )


# reading and writing tables --------------------------------------------------------------------


def _copy_table(
    source: Engine, target: Engine, table: sa.Table, batch_size: int, progress: bool
) -> int:
    """Copy the rows of ``table`` that come after the target's last key; returns how many."""
    total, present = _count(source, table), _count(target, table)
    if present >= total:
        return 0
    copied = 0
    last = _last_key(target, table)
    with _bar(table.name, total, present, progress) as bar:
        for rows in _batches(source, table, last, batch_size):
            _write_batch(target, table, rows, last)
            last = _key_of(table, rows[-1])
            copied += len(rows)
            bar.update(len(rows))
    return copied


def _bar(name: str, total: int, initial: int, progress: bool) -> tqdm[Any]:
    return tqdm(
        total=total,
        initial=initial,
        desc=name,
        unit=" rows",
        disable=None if progress else True,  # None: shown on a terminal only
    )


def _write_batch(
    target: Engine, table: sa.Table, rows: Sequence[sa.Row[Any]], after: Key | None
) -> None:
    try:
        with target.begin() as connection:
            _insert_batch(connection, table, [_portable(table, row) for row in rows])
    except (SQLAlchemyError, InvalidInputError) as exc:
        where = f"after key {after}" if after is not None else "from its first row"
        raise StoreError(f"cannot copy table {table.name} ({where}): {_reason(exc)}") from exc


def _insert_batch(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    connection.execute(table.insert(), rows)


def _portable(table: sa.Table, row: sa.Row[Any]) -> dict[str, Any]:
    """A row's values as the target should store them: timestamps in UTC, never naive (SQLite
    gives them naive, PostgreSQL in its session's time zone)."""
    values = row._asdict()
    for column in table.columns:
        moment = values[column.name]
        if isinstance(moment, datetime) and _has_time_zone(column):
            values[column.name] = _utc(moment)
    return values


def _has_time_zone(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.DateTime) and bool(column.type.timezone)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _batches(
    db: Engine, table: sa.Table, after: Key | None, size: int
) -> Iterator[list[sa.Row[Any]]]:
    """The rows after key ``after`` (from the first when None) in key order, ``size`` at a time,
    streamed from one query (a server-side cursor on PostgreSQL: one sort, not one per batch)."""
    query = sa.select(table).order_by(*_ordered_key(db, table))
    if after is not None:
        query = query.where(_after(db, table, after))
    with db.connect() as connection:
        result = connection.execution_options(yield_per=size).execute(query)
        for partition in result.partitions():
            yield list(partition)


def _last_key(db: Engine, table: sa.Table) -> Key | None:
    order = [column.desc() for column in _ordered_key(db, table)]
    query = sa.select(*table.primary_key.columns).order_by(*order).limit(1)
    with db.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else tuple(row)


def _count(db: Engine, table: sa.Table, *, upto: Key | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    if upto is not None:
        query = query.where(sa.not_(_after(db, table, upto)))
    with db.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _key_of(table: sa.Table, row: sa.Row[Any]) -> Key:
    values = row._mapping
    return tuple(values[column.name] for column in table.primary_key.columns)


def _ordered_key(db: Engine, table: sa.Table) -> list[sa.ColumnElement[Any]]:
    """The primary key's columns, text compared bytewise (as SQLite does) on PostgreSQL too."""
    bytewise = db.dialect.name == "postgresql"
    return [
        column.collate(BYTEWISE_COLLATION)
        if bytewise and isinstance(column.type, sa.String)
        else column
        for column in table.primary_key.columns
    ]


def _after(db: Engine, table: sa.Table, key: Key) -> sa.ColumnElement[bool]:
    """Rows whose primary key comes after ``key`` (a row-value comparison for composite keys)."""
    columns = _ordered_key(db, table)
    values = [
        sa.literal(value, column.type)
        for column, value in zip(table.primary_key.columns, key, strict=True)
    ]
    if len(columns) == 1:
        return columns[0] > values[0]
    return sa.tuple_(*columns) > sa.tuple_(*values)


def _reset_sequences(target: Engine) -> None:
    """PostgreSQL: move each serial column's sequence past the copied ids (SQLite needs not)."""
    if target.dialect.name != "postgresql":
        return
    with target.begin() as connection:
        for table in metadata.sorted_tables:
            column = table.autoincrement_column
            if column is not None:
                connection.execute(_setval(table, column))


def _setval(table: sa.Table, column: sa.Column[Any]) -> sa.Select[Any]:
    """The next id will be max(id) + 1 (1 for an empty table)."""
    sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
    following = sa.func.coalesce(sa.select(sa.func.max(column)).scalar_subquery(), 0) + 1
    return sa.select(sa.func.setval(sequence, following, False))


# verifying -------------------------------------------------------------------------------------


def _verify(source: Engine, target: Engine, batch_size: int, progress: bool) -> VerifyReport:
    checks = []
    for table in metadata.sorted_tables:
        source_rows, source_sum = _checksum(source, table, batch_size, progress)
        target_rows, target_sum = _checksum(target, table, batch_size, progress)
        checks.append(TableCheck(table.name, source_rows, target_rows, source_sum, target_sum))
    return VerifyReport(tuple(checks))


def _checksum(db: Engine, table: sa.Table, batch_size: int, progress: bool) -> tuple[int, str]:
    """Row count and SHA-256 of the table's normalised rows in key order."""
    digest = hashlib.sha256()
    rows = 0
    with _bar(f"verify {table.name}", _count(db, table), 0, progress) as bar:
        for batch in _batches(db, table, None, batch_size):
            for row in batch:
                digest.update(_canonical(table, row))
            rows += len(batch)
            bar.update(len(batch))
    return rows, digest.hexdigest()


def _canonical(table: sa.Table, row: sa.Row[Any]) -> bytes:
    """One row as bytes both backends agree on: a JSON array of normalised values."""
    values = row._mapping
    normalised = [_normalise(column, values[column.name]) for column in table.columns]
    return orjson.dumps(normalised, option=orjson.OPT_SORT_KEYS) + b"\n"


def _normalise(column: sa.Column[Any], value: Any) -> Any:
    if value is None or isinstance(column.type, sa.JSON):
        return value  # JSON values: keys sorted when serialised
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)
