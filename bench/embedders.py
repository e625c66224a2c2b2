"""Embedder backends compared: load time, abstracts/s, single-query latency, and SciFact quality.

For each backend: abstracts/s over 2,000 SciFact abstracts (title + " " + text, normalised like
``document_text``) at batch size 32 (and 64 for torch), and single-query latency over 200 short
queries. The mean cosine of onnx-int8's vectors to torch fp32's on those abstracts is always
reported. With ``--quality``, also SciFact test nDCG@10 and Recall@100 of exact dense retrieval
over all 5,183 abstracts (slow on 2 cores: the whole corpus is embedded by each backend).

Usage: python -m bench.embedders [--backends torch onnx-int8 static] [--quality] [--json PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from bench.common import SHARED_DATA, key_phrase_queries, peak_rss_mb, percentiles, require
from papersift.embeddings import BACKENDS, Embedder, load_embedder
from papersift.embeddings.base import Vectors
from papersift.evaluation import load_collection, score_run
from papersift.text import normalise_for_search

SCIFACT = SHARED_DATA / "scifact"
THROUGHPUT_DOCS = 2000
LATENCY_QUERIES = 200
RUN_DEPTH = 100
REFERENCE = "torch"


def read_corpus() -> tuple[list[str], list[str]]:
    """SciFact's document ids and texts, in file order."""
    ids, texts = [], []
    for line in require(SCIFACT / "corpus.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        ids.append(str(record["id"]))
        texts.append(normalise_for_search(f"{record.get('title') or ''} {record['text']}"))
    return ids, texts


def throughput(embedder: Embedder, texts: list[str], batch_size: int) -> tuple[float, Vectors]:
    """Texts per second embedding ``texts`` in batches of ``batch_size``, and the vectors."""
    started = time.perf_counter()
    vectors = embedder.embed(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - started), vectors


def query_latency(embedder: Embedder, queries: list[str]) -> dict[str, float]:
    for query in queries[:20]:  # warm up
        embedder.embed_query(query)
    seconds = []
    for query in queries:
        started = time.perf_counter()
        embedder.embed_query(query)
        seconds.append(time.perf_counter() - started)
    return percentiles(seconds)


def retrieval_quality(
    embedder: Embedder, doc_ids: list[str], texts: list[str], head: Vectors
) -> dict[str, float]:
    """SciFact test measures of exact dot-product retrieval; ``head`` embeds the first texts."""
    collection = load_collection(SCIFACT)
    documents = np.vstack([head, embedder.embed(texts[len(head) :], batch_size=32)])
    query_ids = list(collection.queries)
    queries = embedder.embed([collection.queries[q] for q in query_ids], batch_size=64)
    scores = queries @ documents.T
    top = np.argpartition(-scores, RUN_DEPTH - 1, axis=1)[:, :RUN_DEPTH]
    run = {
        query_id: {doc_ids[j]: float(scores[i, j]) for j in top[i]}
        for i, query_id in enumerate(query_ids)
    }
    measures = score_run(collection, run)
    return {"nDCG@10": measures["ndcg@10"], "Recall@100": measures["recall@100"]}


def bench_backend(
    backend: str, model: str, cache_dir: Path, texts: list[str], queries: list[str]
) -> tuple[dict[str, Any], Vectors]:
    started = time.perf_counter()
    embedder = load_embedder(backend, model, cache_dir=cache_dir)
    result: dict[str, Any] = {
        "identity": embedder.identity,
        "dimension": embedder.dimension,
        "load_s": round(time.perf_counter() - started, 2),
    }
    embedder.embed(texts[:64])  # warm up
    sizes = (32, 64) if backend == "torch" else (32,)
    vectors = np.empty((0, embedder.dimension), dtype=np.float32)
    for batch_size in sizes:
        per_second, vectors = throughput(embedder, texts[:THROUGHPUT_DOCS], batch_size)
        result[f"docs_per_s_bs{batch_size}"] = round(per_second, 1)
        print(f"  {backend}: {per_second:,.1f} abstracts/s at batch size {batch_size}", flush=True)
    latency = query_latency(embedder, queries)
    result["query_latency_ms"] = {name: round(value, 2) for name, value in latency.items()}
    print(
        f"  {backend}: query latency p50 {latency['p50_ms']:.2f} ms, "
        f"p99 {latency['p99_ms']:.2f} ms",
        flush=True,
    )
    return result, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "papersift-bench-models",
        help="where the ONNX export and static distillation are cached between runs",
    )
    parser.add_argument("--quality", action="store_true", help="also SciFact nDCG@10 / R@100")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args()

    doc_ids, texts = read_corpus()
    queries = key_phrase_queries(LATENCY_QUERIES)
    results: dict[str, dict[str, Any]] = {}
    vectors: dict[str, Vectors] = {}
    for backend in args.backends:
        print(f"{backend} ...", flush=True)
        results[backend], vectors[backend] = bench_backend(
            backend, args.model, args.cache_dir, texts, queries
        )
        if backend == "onnx-int8" and REFERENCE in vectors:  # same model, so same space
            cosines = (vectors[backend] * vectors[REFERENCE]).sum(axis=1)
            results[backend]["mean_cosine_to_torch"] = round(float(cosines.mean()), 4)
            results[backend]["min_cosine_to_torch"] = round(float(cosines.min()), 4)
        if args.quality:
            embedder = load_embedder(backend, args.model, cache_dir=args.cache_dir)
            started = time.perf_counter()
            quality = retrieval_quality(embedder, doc_ids, texts, vectors[backend])
            results[backend].update({name: round(value, 4) for name, value in quality.items()})
            results[backend]["quality_s"] = round(time.perf_counter() - started, 1)
            print(f"  {backend}: SciFact test {quality}", flush=True)
    results["_run"] = {"peak_rss_mb": round(peak_rss_mb(), 1), "docs": THROUGHPUT_DOCS}
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    if args.json:
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
