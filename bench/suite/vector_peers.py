"""Vector peers on papersift's own document vectors and query vectors.

* exact: numpy, one matrix-vector product over all float32 vectors and a partial sort per
  query. Its top 10 is also the ground truth of every recall@10 in the table.
* usearch: the HNSW library papersift does not use by default (papersift uses faiss), with the
  same graph settings as papersift's index (M 32, efConstruction 80, efSearch 96) and float16
  vectors (papersift's HNSW walks 8-bit codes and re-scores with float16 vectors; usearch's
  int8 lost too much recall on these embeddings: 0.54 at 10k papers).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.common import peak_rss_mb, percentiles, recall_at_10, timed
from bench.suite import workload
from bench.suite.context import Context

M = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 96


def top_k(
    vectors: npt.NDArray[np.float32], query: npt.NDArray[np.float32], k: int = 10
) -> tuple[npt.NDArray[Any], npt.NDArray[np.float32]]:
    """Exact search: the positions of the ``k`` best rows, best first, and all the scores."""
    scores = vectors @ query
    best = np.argpartition(scores, -k)[-k:]
    return best[np.argsort(-scores[best])], scores


def new_usearch_index(dimension: int) -> Any:
    """An empty usearch HNSW index with papersift's graph settings (Any: mypy misreads the
    ``expansion_search`` setter)."""
    from usearch.index import Index

    return Index(
        ndim=dimension, metric="ip", dtype="f16", connectivity=M, expansion_add=EF_CONSTRUCTION
    )


def exact(context: Context) -> dict[str, Any]:
    documents, queries = workload.load_vectors(context)
    truth = np.stack([top_k(documents, query)[0] for query in queries])
    np.save(workload.exact_truth_path(context), truth)
    seconds = timed(lambda q: top_k(documents, q), list(queries))
    return {"search": percentiles(seconds), "recall@10": 1.0, "peak_rss_mb": peak_rss_mb()}


def usearch(context: Context) -> dict[str, Any]:
    documents, queries = workload.load_vectors(context)
    truth = np.load(workload.exact_truth_path(context))
    path = context.folder / f"usearch-{context.label}.usearch"
    index = new_usearch_index(documents.shape[1])
    build_s = None
    if path.exists():
        index.load(str(path))
    else:
        started = time.perf_counter()
        index.add(np.arange(len(documents), dtype=np.uint64), documents, threads=2)
        build_s = time.perf_counter() - started
        index.save(str(path))
    del documents
    index.expansion_search = EF_SEARCH
    timed(lambda q: index.search(q, 10, threads=1), list(queries))  # warm-up pass
    found: list[list[int]] = []
    seconds = timed(
        lambda q: found.append([int(key) for key in index.search(q, 10, threads=1).keys]),
        list(queries),
    )
    return {
        "build_s": build_s,
        "search": percentiles(seconds),
        "recall@10": recall_at_10(found, truth.tolist()),
        "peak_rss_mb": peak_rss_mb(),
    }
