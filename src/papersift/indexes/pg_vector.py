"""Vector search in PostgreSQL with pgvector: one row per paper, an HNSW index over cosine
distance once there are ``exact_below`` vectors, exact search below that and as the fallback.

The ``embedding`` column has no fixed dimension (one store may switch embedders), so the HNSW
index is built over an expression fixing the embedder's dimension d, and searches order by that
same expression. With pgvector 0.7 or later the expression is ``embedding::halfvec(d)``: the
graph holds half-precision vectors, half the bytes to read at each node the search visits
(measured in the README: faster, at nearly the same recall). Older pgvector gets
``embedding::vector(d)``. The column itself keeps full precision, and the index's metadata says
which type a build used, so an index built before an upgrade of pgvector is searched as it was
built.

pgvector filters HNSW results after the graph search, so a filtered search can come back with
fewer than k papers while k match. How many of its candidates passed tells how common the
filter is. A common one gets a second graph search with a candidate list long enough to expect
2k passing papers, and its answer stands when that many pass (the k best then lie well inside
what the graph found). A rare filter, or a second search that is short too, is run exactly.
(pgvector 0.8's iterative scans, which walk on until k results pass, are left off: at 1M papers
they found 0.6 to 0.7 of the true top 10 under filters that 0.5% to 2% of papers pass, where
the exact search finds them all.)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from tqdm import tqdm

from papersift.errors import IndexError_
from papersift.indexes.batches import check_batch, unit_rows
from papersift.indexes.pg_state import delete_state, lock_writers, read_state, write_state
from papersift.store.search_schema import vector_entries

FORMAT_VERSION = 1
STATE_NAME = "vector"
KIND_EXACT = "exact"
KIND_HNSW = "pgvector-hnsw"
DEFAULT_EF_SEARCH = 200
# pgvector's longest candidate list, and how many passing papers per result a second filtered
# graph search must find for its answer to stand.
MAX_EF_SEARCH = 1000
WIDER_MARGIN = 2
# pgvector's own defaults for the graph's links per node and build-time candidate list.
DEFAULT_M = 16
DEFAULT_EF_CONSTRUCTION = 64
HNSW_NAME = "vector_entries_hnsw"
# The graph's vector type: half precision from the pgvector version that has it.
FULL = "vector"
HALF = "halfvec"
HALF_FROM_VERSION = (0, 7)
_BYTES_PER_VALUE = {FULL: 4, HALF: 2}
# The HNSW build is fastest when its graph fits in maintenance_work_mem (pgvector warns and
# slows down otherwise). Per node, pgvector keeps the vector (2 or 4 bytes a dimension and a
# header), 16 bytes for each of the 2m links of layer 0, and about 256 bytes of bookkeeping
# (upper layers add 1/m of that); a quarter more for what that estimate misses.
_BYTES_PER_LINK = 16
_BYTES_PER_NODE = 256
_BUILD_MEMORY_MARGIN = 1.25
_COPY_CHUNK = 10_000
_log = logging.getLogger(__name__)


class DatabaseVectorIndex:
    """The vector index of a PostgreSQL store; the same interface as the file ``VectorIndex``."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    # state -------------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        with self.db.connect() as connection:
            return read_state(connection, STATE_NAME)

    def indexed_rev(self, store_id: str, identity: str) -> int | None:
        meta = self.meta()
        if (
            meta is None
            or meta.get("format") != FORMAT_VERSION
            or meta.get("store_id") != store_id
            or meta.get("identity") != identity
        ):
            return None
        return int(meta["store_rev"])

    def load(self) -> None:
        self._meta_or_raise()

    def refresh(self) -> None:
        """Nothing to do: every worker reads the same table."""

    def __len__(self) -> int:
        meta = self.meta()
        return int(meta["vectors"]) if meta else 0

    @property
    def needs_rebuild(self) -> bool:
        """True without an index, or when an exact index outgrew its threshold (an HNSW index
        takes replaced vectors in place: pgvector updates its graph)."""
        meta = self.meta()
        if meta is None:
            return True
        return meta["kind"] == KIND_EXACT and int(meta["vectors"]) >= int(meta["exact_below"])

    def contains(self, paper_id: str) -> bool:
        return bool(self.vectors_of([paper_id]))

    def vector_of(self, paper_id: str) -> npt.NDArray[np.float32] | None:
        return self.vectors_of([paper_id]).get(paper_id)

    def vectors_of(self, paper_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        self._meta_or_raise()
        statement = sa.select(
            vector_entries.c.paper_id, sa.cast(vector_entries.c.embedding, sa.Text)
        ).where(vector_entries.c.paper_id.in_(list(dict.fromkeys(paper_ids))))
        with self.db.connect() as connection:
            return {paper_id: _parse(text) for paper_id, text in connection.execute(statement)}

    def clear(self) -> None:
        with self.db.begin() as connection:
            lock_writers(connection, STATE_NAME)
            connection.execute(sa.text(f"DROP INDEX IF EXISTS {HNSW_NAME}"))
            connection.execute(sa.text("TRUNCATE vector_entries"))
            delete_state(connection, STATE_NAME)

    # writing -----------------------------------------------------------------------------------

    def build(
        self,
        ids: Sequence[str],
        vectors: npt.NDArray[np.floating[Any]],
        *,
        dates: Sequence[date | None],
        categories: Sequence[Sequence[str]],
        identity: str,
        store_id: str,
        store_rev: int,
        exact_below: int = 20_000,
        m: int | None = None,
        ef_construction: int | None = None,
        ef_search: int = DEFAULT_EF_SEARCH,
        progress: bool = False,
        embedder: dict[str, Any] | None = None,
    ) -> None:
        """Replace the index with these vectors, in one transaction (searches see the old index
        until it commits); an HNSW graph with ``m`` links per node (default ``DEFAULT_M``), built
        with ``ef_construction`` candidates, from ``exact_below`` vectors on."""
        check_batch(ids, vectors, dates, categories)
        m = m or DEFAULT_M
        ef_construction = ef_construction or max(DEFAULT_EF_CONSTRUCTION, 2 * m)
        kind = KIND_HNSW if len(ids) >= max(exact_below, 1) else KIND_EXACT
        dimension = int(vectors.shape[1])
        meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "identity": identity,
            "embedder": embedder,
            "dimension": dimension,
            "metric": "cosine",
            "kind": kind,
            "hnsw": {"m": m, "ef_construction": ef_construction, "ef_search": ef_search},
            "exact_below": exact_below,
            "store_id": store_id,
            "store_rev": store_rev,
            "vectors": len(set(ids)),
        }
        with self.db.begin() as connection:
            lock_writers(connection, STATE_NAME)
            previous = read_state(connection, STATE_NAME) or {}
            meta["generation"] = int(previous.get("generation", 0)) + 1
            connection.execute(sa.text(f"DROP INDEX IF EXISTS {HNSW_NAME}"))
            connection.execute(sa.text("TRUNCATE vector_entries"))
            _copy_rows(connection, ids, vectors, dates, categories, progress=progress)
            if kind == KIND_HNSW:
                meta["graph_type"] = graph_type(connection)
                _create_hnsw(
                    connection, meta["graph_type"], dimension, m, ef_construction, len(ids)
                )
            write_state(connection, STATE_NAME, meta)

    def add(
        self,
        ids: Sequence[str],
        vectors: npt.NDArray[np.floating[Any]],
        *,
        dates: Sequence[date | None],
        categories: Sequence[Sequence[str]],
        store_rev: int,
    ) -> None:
        """Insert new papers' vectors and replace changed ones, with the revision reached."""
        check_batch(ids, vectors, dates, categories)
        with self.db.begin() as connection:
            lock_writers(connection, STATE_NAME)
            meta = read_state(connection, STATE_NAME)
            if meta is None:
                raise IndexError_("no vector index in the database: run `papersift index` first")
            if ids and vectors.shape[1] != meta["dimension"]:
                raise ValueError(
                    f"vectors have dimension {vectors.shape[1]}, the index {meta['dimension']}"
                )
            if ids:
                connection.execute(
                    vector_entries.delete().where(vector_entries.c.paper_id.in_(list(ids)))
                )
                _copy_rows(connection, ids, vectors, dates, categories, progress=False)
                meta["vectors"] = int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(vector_entries)
                    ).scalar_one()
                )
                meta["generation"] = int(meta.get("generation", 0)) + 1
            write_state(connection, STATE_NAME, meta | {"store_rev": store_rev})

    # searching ---------------------------------------------------------------------------------

    def search(
        self,
        query: npt.NDArray[np.floating[Any]],
        k: int,
        *,
        categories: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        allowed_ids: Collection[str] | None = None,
        exclude_ids: Collection[str] = (),
        ef_search: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest papers to ``query`` as (paper id, cosine), best first; filters
        combine with AND, and filtered searches return k results whenever k papers match."""
        # Outside a transaction: no BEGIN and COMMIT round trips in the common case. Each
        # statement reads the latest committed index, as it would in a transaction (READ
        # COMMITTED), so this changes nothing about consistency.
        with self.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            meta = _meta_or_raise(read_state(connection, STATE_NAME))
            if k <= 0 or meta["vectors"] == 0:
                return []
            unit = _unit(query)
            if len(unit) != meta["dimension"]:
                raise ValueError(f"query has dimension {len(unit)}, the index {meta['dimension']}")
            where = list(_filter_clauses(categories, since, until, allowed_ids, exclude_ids))
            if meta["kind"] == KIND_HNSW and allowed_ids is None:
                ef = max(ef_search or int(meta["hnsw"].get("ef_search", DEFAULT_EF_SEARCH)), k)
                _use_ef_search(connection, ef)
                hits = _nearest(connection, _graph_cast(meta), unit, k, where)
                if len(hits) == k or not where:
                    return hits
                wider = wider_ef(len(hits), ef, k)
                if wider is not None:
                    _use_ef_search(connection, wider)
                    enough = WIDER_MARGIN * k
                    more = _nearest(connection, _graph_cast(meta), unit, enough, where)
                    if len(more) == enough:
                        return more[:k]
                    hits = more[:k]
                if _matching(connection, where, k) <= len(hits):
                    return hits
        with self.db.begin() as connection:
            _exact_plans_only(connection)
            return _nearest(connection, _Fixed(FULL, meta["dimension"]), unit, k, where)

    def _meta_or_raise(self) -> dict[str, Any]:
        return _meta_or_raise(self.meta())


def _meta_or_raise(meta: dict[str, Any] | None) -> dict[str, Any]:
    if meta is None or meta.get("format") != FORMAT_VERSION:
        raise IndexError_("no vector index in the database: run `papersift index` first")
    return meta


def wider_ef(found: int, ef: int, k: int) -> int | None:
    """The candidate list of a second filtered graph search, after the first found ``found`` of
    ``k`` papers among ``ef`` candidates: long enough to expect ``WIDER_MARGIN * k`` passing
    papers, with a quarter to spare; None when pgvector's longest list would not be (the filter
    is rare: search exactly)."""
    enough = WIDER_MARGIN * k
    if found == 0 or found * MAX_EF_SEARCH < enough * ef:
        return None
    return min(MAX_EF_SEARCH, math.ceil(1.25 * enough * ef / found))


def _use_ef_search(connection: Connection, ef: int) -> None:
    """Set ``hnsw.ef_search`` for the connection's session, unless it already has that value
    (pooled connections keep it between searches: one round trip fewer per search)."""
    info = connection.connection.info
    if info.get("hnsw.ef_search") != ef:
        connection.execute(sa.text(f"SET hnsw.ef_search = {ef:d}"))
        info["hnsw.ef_search"] = ef


def _nearest(
    connection: Connection,
    fixed: _Fixed,
    unit: npt.NDArray[np.float32],
    k: int,
    where: list[Any],
) -> list[tuple[str, float]]:
    distance = sa.cast(vector_entries.c.embedding, fixed).op("<=>")(sa.cast(_literal(unit), fixed))
    statement = (
        sa.select(vector_entries.c.paper_id, distance.label("distance"))
        .where(*where)
        .order_by(distance)
        .limit(k)
    )
    return [(row.paper_id, 1.0 - float(row.distance)) for row in connection.execute(statement)]


def _exact_plans_only(connection: Connection) -> None:
    """No graph (index scan) for the rest of the transaction: scans and sorts, exact."""
    for setting in ("enable_indexscan = off", "enable_seqscan = on", "enable_bitmapscan = on"):
        connection.execute(sa.text(f"SET LOCAL {setting}"))


def _matching(connection: Connection, where: list[Any], at_most: int) -> int:
    """How many papers pass the filters, counting no further than ``at_most``."""
    inner = sa.select(vector_entries.c.paper_id).where(*where).limit(at_most).subquery()
    return int(connection.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())


def _filter_clauses(
    categories: Sequence[str],
    since: date | None,
    until: date | None,
    allowed_ids: Collection[str] | None,
    exclude_ids: Collection[str],
) -> list[Any]:
    entries = vector_entries.c
    clauses: list[Any] = []
    if categories:
        clauses.append(
            entries.categories.op("&&")(sa.cast(list(categories), entries.categories.type))
        )
    if since:
        clauses.append(entries.day >= since)
    if until:
        clauses.append(entries.day <= until)
    if allowed_ids is not None:
        clauses.append(entries.paper_id.in_(list(allowed_ids)))
    if exclude_ids:
        clauses.append(entries.paper_id.not_in(list(exclude_ids)))
    return clauses


class _Fixed(sa.types.UserDefinedType[Any]):
    """``vector(d)`` or ``halfvec(d)``: the type an index's graph and its searches cast to."""

    cache_ok = True

    def __init__(self, type_name: str, dimension: int) -> None:
        self.type_name = type_name
        self.dimension = dimension

    def get_col_spec(self, **_: Any) -> str:
        return f"{self.type_name}({self.dimension})"


def _graph_cast(meta: dict[str, Any]) -> _Fixed:
    """The type of the index's graph (indexes built before it was recorded hold ``vector``)."""
    return _Fixed(meta.get("graph_type", FULL), int(meta["dimension"]))


def graph_type(connection: Connection) -> str:
    """``halfvec`` when the server's pgvector has it (0.7 on), ``vector`` otherwise."""
    return HALF if _version(_pgvector_version(connection)) >= HALF_FROM_VERSION else FULL


def _pgvector_version(connection: Connection) -> str:
    return str(
        connection.execute(
            sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        ).scalar_one()
    )


def _version(text: str) -> tuple[int, ...]:
    """``0.8.1`` as (0, 8, 1); a part that is not a number (``0.8.0-dev``) ends it."""
    parts: list[int] = []
    for part in text.split("."):
        digits = part.split("-")[0]
        if not digits.isdigit():
            break
        parts.append(int(digits))
    return tuple(parts)


def _create_hnsw(
    connection: Connection,
    type_name: str,
    dimension: int,
    m: int,
    ef_construction: int,
    rows: int,
) -> None:
    memory_mb = build_memory_mb(rows, dimension, m, _BYTES_PER_VALUE[type_name])
    connection.execute(sa.text(f"SET LOCAL maintenance_work_mem = '{memory_mb}MB'"))
    # pgvector says through notices when the graph outgrew the memory and the build slowed
    # down; an operator reading the log should see that.
    driver = connection.connection.driver_connection
    notices: list[str] = []

    def keep(diagnostic: Any) -> None:
        notices.append(
            ". ".join(filter(None, (diagnostic.message_primary, diagnostic.message_detail)))
        )

    driver.add_notice_handler(keep)  # type: ignore[union-attr]
    try:
        connection.execute(
            sa.text(
                f"CREATE INDEX {HNSW_NAME} ON vector_entries USING hnsw "
                f"((embedding::{type_name}({dimension:d})) {type_name}_cosine_ops) "
                f"WITH (m = {m:d}, ef_construction = {ef_construction:d})"
            )
        )
    finally:
        driver.remove_notice_handler(keep)  # type: ignore[union-attr]
    for notice in notices:
        _log.warning(
            "pgvector, building the HNSW index with maintenance_work_mem %d MB: %s",
            memory_mb,
            notice,
        )


def build_memory_mb(rows: int, dimension: int, m: int, bytes_per_value: int = 4) -> int:
    """The maintenance_work_mem that holds pgvector's whole graph of ``rows`` nodes while it
    builds (at least PostgreSQL's default, 64 MB)."""
    node = bytes_per_value * dimension + 8 + 2 * m * _BYTES_PER_LINK + _BYTES_PER_NODE
    return max(64, int(_BUILD_MEMORY_MARGIN * rows * node / 2**20))


def _copy_rows(
    connection: Connection,
    ids: Sequence[str],
    vectors: npt.NDArray[np.floating[Any]],
    dates: Sequence[date | None],
    categories: Sequence[Sequence[str]],
    *,
    progress: bool,
) -> None:
    """Write rows with COPY (text format), the fast way into PostgreSQL."""
    units = unit_rows(vectors)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = "COPY vector_entries (paper_id, embedding, categories, day) FROM STDIN"
    with tqdm(total=len(ids), desc="vectors", unit=" rows", disable=not progress) as bar:
        for start in range(0, len(ids), _COPY_CHUNK):
            end = min(start + _COPY_CHUNK, len(ids))
            with cursor.copy(statement) as copy:
                for row in range(start, end):
                    copy.write_row(
                        (ids[row], _literal(units[row]), list(categories[row]), dates[row])
                    )
            bar.update(end - start)


def _literal(vector: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in vector.tolist()) + "]"


def _parse(text: str) -> npt.NDArray[np.float32]:
    return np.asarray(text.strip("[]").split(","), dtype=np.float32)


def _unit(query: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    unit: npt.NDArray[np.float32] = unit_rows(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
    return unit
