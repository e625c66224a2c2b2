"""Relevance of papersift and of every peer on the BEIR SciFact test queries, scored alike
(``papersift.evaluation.score_run``, ir-measures): speed is never quoted without quality.

Every system indexes title + abstract of the 5,183 documents and answers the 300 test claims
to depth 100. The vector peers search papersift's own SciFact vectors (same embedder as the
speed runs), so they differ from papersift only in the search; papersift itself searches a
corpus this small exactly (``PAPERSIFT_VECTOR_EXACT_BELOW``), hence the same figures as numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import SHARED_DATA
from bench.suite import lucene_peer, text_peers, vector_peers
from bench.suite.context import Context
from papersift.engine import Engine
from papersift.evaluation import (
    Collection,
    collection_store,
    evaluate_collection,
    load_collection,
    score_run,
)

SCIFACT = SHARED_DATA / "scifact"
DEPTH = 100
Run = dict[str, dict[str, float]]


def scifact(context: Context) -> dict[str, Any]:
    if not SCIFACT.exists():
        raise SystemExit(f"the relevance check needs {SCIFACT} (the shared data folder)")
    collection = load_collection(SCIFACT, "test")
    settings = context.settings(context.work / "scifact-papersift")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, float]] = {}
    for mode in ("bm25", "dense", "hybrid"):
        result = evaluate_collection(SCIFACT, mode=mode, settings=settings, cache=True)
        rows[f"papersift {mode}"] = result.metrics
    documents = _documents(collection)
    texts = [text for _, text in documents]
    ids = [doc_id for doc_id, _ in documents]
    queries = collection.queries

    index = context.work / "scifact-lucene"
    lucene_peer.build_index(documents, index)
    lucene = lucene_peer.Searcher(index)
    rows["lucene bm25"] = score_run(collection, _run(queries, lambda q: lucene.search(q, DEPTH)))
    lucene.close()

    bm25s = text_peers.Bm25s(texts)
    rows["bm25s"] = score_run(collection, _run(queries, _named(bm25s.search, ids)))
    tfidf = text_peers.Tfidf(texts)
    rows["tf-idf (arxiv-sanity-lite)"] = score_run(
        collection, _run(queries, _named(tfidf.search, ids))
    )

    with collection_store(collection, settings, cache=True) as store_settings:
        engine = Engine(store_settings)
        stored_ids = [f"{collection.name}:{i}" for i in ids]
        vectors = engine.vector_index.vectors_of(stored_ids)
        matrix = np.stack([vectors[i] for i in stored_ids])
        query_vectors = engine.embedder().embed(list(queries.values()))
        engine.close()
    rows["exact numpy"] = score_run(collection, _vector_run(collection, ids, matrix, query_vectors))
    rows["usearch"] = score_run(collection, _usearch_run(collection, ids, matrix, query_vectors))
    return {"rows": rows, "queries": len(queries), "documents": len(ids)}


def _documents(collection: Collection) -> list[tuple[str, str]]:
    import orjson

    found = []
    with Path(collection.corpus).open("rb") as handle:
        for line in handle:
            if line.strip():
                record = orjson.loads(line)
                doc_id = record.get("_id", record.get("id"))
                found.append((str(doc_id), f"{record.get('title', '')}\n{record['text']}"))
    return found


def _run(queries: dict[str, str], search: Callable[[str], list[tuple[str, float]]]) -> Run:
    return {query_id: dict(search(text)) for query_id, text in queries.items()}


def _named(
    search: Callable[[str, int], list[tuple[int, float]]], ids: list[str]
) -> Callable[[str], list[tuple[str, float]]]:
    return lambda query: [(ids[position], score) for position, score in search(query, DEPTH)]


def _vector_run(collection: Collection, ids: list[str], matrix: Any, query_vectors: Any) -> Run:
    run: Run = {}
    for query_id, vector in zip(collection.queries, query_vectors, strict=True):
        best, scores = vector_peers.top_k(matrix, vector, DEPTH)
        run[query_id] = {ids[int(p)]: float(scores[p]) for p in best}
    return run


def _usearch_run(collection: Collection, ids: list[str], matrix: Any, query_vectors: Any) -> Run:
    index = vector_peers.new_usearch_index(matrix.shape[1])
    index.add(np.arange(len(ids), dtype=np.uint64), matrix, threads=2)
    index.expansion_search = max(vector_peers.EF_SEARCH, DEPTH)
    run: Run = {}
    for query_id, vector in zip(collection.queries, query_vectors, strict=True):
        matches = index.search(vector, DEPTH, threads=1)
        run[query_id] = {
            ids[int(key)]: 1.0 - float(distance)
            for key, distance in zip(matches.keys, matches.distances, strict=True)
        }
    return run
