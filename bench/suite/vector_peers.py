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

from bench.common import peak_rss_mb, percentiles, timed
from bench.suite import workload
from bench.suite.context import Context

M = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 96


def top10(vectors: npt.NDArray[np.float32], query: npt.NDArray[np.float32]) -> npt.NDArray[Any]:
    scores = vectors @ query
    best = np.argpartition(scores, -10)[-10:]
    return best[np.argsort(-scores[best])]


def exact(context: Context) -> dict[str, Any]:
    documents, queries = workload.load_vectors(context)
    truth = np.stack([top10(documents, query) for query in queries])
    np.save(workload.exact_truth_path(context), truth)
    seconds = timed(lambda q: top10(documents, q), list(queries))
    return {"search": percentiles(seconds), "recall@10": 1.0, "peak_rss_mb": peak_rss_mb()}


def usearch(context: Context) -> dict[str, Any]:
    from usearch.index import Index

    documents, queries = workload.load_vectors(context)
    truth = np.load(workload.exact_truth_path(context))
    path = context.folder / f"usearch-{context.embedder}.usearch"
    index: Any = Index(
        ndim=documents.shape[1], metric="ip", dtype="f16", connectivity=M,
        expansion_add=EF_CONSTRUCTION,
    )  # fmt: skip
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
    pairs = zip(found, truth, strict=True)
    hits = sum(len(set(row) & set(exact_row.tolist())) for row, exact_row in pairs)
    return {
        "build_s": build_s,
        "search": percentiles(seconds),
        "recall@10": hits / (10 * len(found)),
        "peak_rss_mb": peak_rss_mb(),
    }
