"""papersift's own stages: build the store and indexes, then time its searches.

The builds are kept in the corpus folder with their measurements (``bench-*.json``): a re-run
reuses them and reports the numbers of the run that built them, marked ``reused``. Delete the
folder (or pass ``--rebuild``) to measure the build again.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import peak_rss_mb, percentiles, recall_at_10, timed
from bench.suite import workload
from bench.suite.context import Context
from papersift.embeddings import load_embedder
from papersift.embeddings.base import Embedder, Vectors
from papersift.embeddings.models import DEFAULT_MODEL
from papersift.engine import Engine

DEFAULT_MODEL_BACKEND = "onnx-int8"


def _reused(marker: Path) -> dict[str, Any] | None:
    if not marker.exists():
        return None
    return {**json.loads(marker.read_text()), "reused": True}


def _record(marker: Path, result: dict[str, Any]) -> dict[str, Any]:
    result = {**result, "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    marker.write_text(json.dumps(result, indent=1))
    return {**result, "reused": False}


def build_keyword(context: Context) -> dict[str, Any]:
    """Ingest the corpus into a fresh store and build the keyword index."""
    marker = context.folder / "bench-papersift-keyword.json"
    # Each embedder's store has its own folder; the keyword build is only reused where it is.
    built = (context.data_dir / "papersift.db").exists()
    if built and (done := _reused(marker)) is not None:
        return done
    shutil.rmtree(context.data_dir, ignore_errors=True)
    context.data_dir.mkdir(parents=True)
    # The keyword accelerator's snapshot is built and measured by a stage of its own.
    engine = Engine(context.settings().model_copy(update={"keyword_accelerator": "off"}))
    started = time.perf_counter()
    report = engine.ingest([context.corpus], update_index=False, progress=True)
    ingested = time.perf_counter()
    index = engine.index(semantic=False, progress=True)
    finished = time.perf_counter()
    engine.close()
    return _record(
        marker,
        {
            "papers": report.records,
            "ingest_s": ingested - started,
            "keyword_index_s": finished - ingested,
            "papers_per_s": report.records / (finished - started),
            "indexed": index.documents,
            "peak_rss_mb": peak_rss_mb(),
        },
    )


def build_vectors(context: Context) -> dict[str, Any]:
    """Embed every paper, build the vector index, and export the vectors (corpus order) and the
    query vectors that the vector peers search."""
    marker = context.folder / f"bench-papersift-vectors-{context.label}.json"
    if (done := _reused(marker)) is not None:
        return done
    engine = Engine(context.settings())
    started = time.perf_counter()
    report = engine.index_vectors(progress=True)
    seconds = time.perf_counter() - started
    ids = workload.paper_ids(context)
    generation = engine.vector_index._loaded()  # bench-only: the float16 rows, in bulk
    positions = generation.positions_of(ids)
    if len(positions) != len(ids):
        raise SystemExit(f"{len(ids) - len(positions):,} papers have no vector")
    np.save(workload.vectors_path(context), np.asarray(generation.vectors[positions]))
    embedder = engine.embedder()
    queries = workload.queries(context)
    np.save(workload.query_vectors_path(context), embedder.embed(queries).astype(np.float32))
    meta = engine.vector_index.meta() or {}
    engine.close()
    return _record(
        marker,
        {
            "embedder": embedder.identity,
            "embedded": report.embedded,
            "seconds": seconds,
            "papers_per_s": len(ids) / seconds,
            "index_kind": meta.get("kind"),
            "peak_rss_mb": peak_rss_mb(),
        },
    )


class _Precomputed:
    """The engine's embedder with the benchmark queries already embedded: searches through it
    measure everything but the query embedding."""

    def __init__(self, real: Embedder, table: dict[str, Vectors]) -> None:
        self.identity = real.identity
        self.dimension = real.dimension
        self._real = real
        self._table = table

    def embed(self, texts: list[str], **options: Any) -> Vectors:
        return self._real.embed(texts, **options)

    def embed_query(self, text: str) -> Vectors:
        return self._table[text]


def searches(context: Context) -> dict[str, Any]:
    """Keyword, vector, hybrid and similar-paper latency, and vector recall@10 against exact."""
    engine = Engine(context.settings())
    queries = workload.queries(context)
    ids = workload.paper_ids(context)
    seeds = [ids[position] for position in workload.similar_seeds(context)]
    query_vectors = workload.load_query_vectors(context)
    truth = np.load(workload.exact_truth_path(context))
    keyword = engine.retriever("bm25")
    embedder = engine.embedder()
    for query in queries:  # one pass: load the model and the indexes, warm the page cache
        engine.search(query, k=10, mode="hybrid")
    rows: dict[str, Any] = {
        "keyword": percentiles(timed(lambda q: keyword.search(q, 10), queries)),
        "keyword + metadata": percentiles(timed(lambda q: engine.search(q, k=10), queries)),
        "query embedding": percentiles(timed(embedder.embed_query, queries)),
    }
    found: list[list[str]] = []
    vector_seconds = timed(
        lambda v: found.append([i for i, _ in engine.vector_index.search(v, 10)]),
        list(query_vectors),
    )
    rows["vector"] = percentiles(vector_seconds)
    rows["vector"]["recall@10"] = recall_at_10(found, [[ids[p] for p in row] for row in truth])
    rows["hybrid incl. embedding"] = percentiles(
        timed(lambda q: engine.search_hits(q, k=10, mode="hybrid"), queries)
    )
    table = dict(zip(queries, query_vectors, strict=True))
    engine._embedder = _Precomputed(embedder, table)  # type: ignore[assignment]  # bench-only
    hybrid_alone = _hybrid_search(engine)
    rows["hybrid excl. embedding"] = percentiles(timed(hybrid_alone, queries))
    if context.default_model_row and context.embedder != DEFAULT_MODEL_BACKEND:
        rows["hybrid + default-model query embedding"] = _with_default_model(
            context, queries, hybrid_alone
        )
    rows["similar"] = percentiles(timed(lambda pid: engine.similar([pid], k=10), seeds))
    engine.close()
    return {
        "rows": rows,
        "queries": len(queries),
        "seeds": len(seeds),
        "peak_rss_mb": peak_rss_mb(),
    }


def _hybrid_search(engine: Engine) -> Callable[[str], object]:
    return lambda query: engine.search_hits(query, k=10, mode="hybrid")


def _with_default_model(
    context: Context, queries: list[str], hybrid_alone: Callable[[str], object]
) -> dict[str, float]:
    """Hybrid with each query first embedded by the default model (onnx-int8), timed together:
    what a deployment on the default model pays per query, on this corpus's index."""
    settings = context.settings()
    model = load_embedder(DEFAULT_MODEL_BACKEND, DEFAULT_MODEL, cache_dir=settings.models_dir)
    for query in queries[:20]:
        model.embed_query(query)

    def both(query: str) -> None:
        model.embed_query(query)
        hybrid_alone(query)

    return percentiles(timed(both, queries))
