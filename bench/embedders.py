"""Embedder backends compared: load time, abstracts/s, single-query latency, and SciFact quality.

For each backend: abstracts/s over 2,000 SciFact abstracts (title + " " + text, normalised like
``document_text``) at batch sizes 32 and 64, and single-query latency over 200 short queries.
The backends take turns batch size by batch size (``--rounds`` times, keeping each one's best),
so a machine shared with other work slows them alike. Then the ratio of onnx-int8's best
abstracts/s to torch fp32's best (the default embedder against the model it quantises), and the
mean cosine of onnx-int8's vectors to torch fp32's on those abstracts. With ``--quality``, also
SciFact test nDCG@10 and Recall@100 of exact dense retrieval over all 5,183 abstracts (slow on
2 cores: the whole corpus is embedded by each backend), and onnx-int8's nDCG@10 minus torch's.

Usage: python -m bench.embedders [--backends torch onnx-int8 static] [--quality] [--rounds N]
       [--json PATH]
"""

from __future__ import annotations

import argparse
import os
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
BATCH_SIZES = (32, 64)
LATENCY_QUERIES = 200
RUN_DEPTH = 100
REFERENCE = "torch"
CANDIDATE = "onnx-int8"


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


def load_backends(
    backends: list[str], model: str, cache_dir: Path, texts: list[str]
) -> tuple[dict[str, Embedder], dict[str, dict[str, Any]]]:
    """Each backend's embedder (loaded, exported or distilled first if need be, and warmed up)."""
    embedders: dict[str, Embedder] = {}
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        started = time.perf_counter()
        embedder = load_embedder(backend, model, cache_dir=cache_dir)
        results[backend] = {
            "identity": embedder.identity,
            "dimension": embedder.dimension,
            "load_s": round(time.perf_counter() - started, 2),
        }
        embedder.embed(texts[:64])  # warm up
        embedders[backend] = embedder
        print(f"{backend}: loaded in {results[backend]['load_s']} s", flush=True)
    return embedders, results


def measure_throughput(
    embedders: dict[str, Embedder], texts: list[str], rounds: int
) -> tuple[dict[str, dict[int, float]], dict[str, Vectors]]:
    """Each backend's best abstracts/s at each batch size, the backends taking turns; and each
    backend's vectors from its best run."""
    rates: dict[str, dict[int, float]] = {backend: {} for backend in embedders}
    vectors: dict[str, Vectors] = {}
    for _ in range(rounds):
        for batch_size in BATCH_SIZES:
            for backend, embedder in embedders.items():
                per_second, embedded = throughput(embedder, texts, batch_size)
                if per_second > max(rates[backend].values(), default=0.0):
                    vectors[backend] = embedded
                rates[backend][batch_size] = max(per_second, rates[backend].get(batch_size, 0.0))
                print(
                    f"  {backend}: {per_second:,.1f} abstracts/s at batch size {batch_size}",
                    flush=True,
                )
    return rates, vectors


def best_rate(rates: dict[int, float]) -> tuple[int, float]:
    """The batch size with the most abstracts/s, and that figure."""
    batch_size = max(rates, key=lambda size: rates[size])
    return batch_size, rates[batch_size]


def compare(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """onnx-int8 against torch fp32: the throughput ratio of their best batch sizes, and (with
    quality measured) the nDCG@10 difference."""
    torch_size = results[REFERENCE]["best_batch_size"]
    torch_rate = results[REFERENCE]["best_docs_per_s"]
    onnx_size = results[CANDIDATE]["best_batch_size"]
    onnx_rate = results[CANDIDATE]["best_docs_per_s"]
    comparison: dict[str, Any] = {
        "ratio": round(onnx_rate / torch_rate, 2),
        "onnx_int8_docs_per_s": onnx_rate,
        "onnx_int8_batch_size": onnx_size,
        "torch_fp32_docs_per_s": torch_rate,
        "torch_fp32_batch_size": torch_size,
        "mean_cosine": results[CANDIDATE].get("mean_cosine_to_torch"),
    }
    print(
        f"onnx-int8 / torch fp32: {comparison['ratio']:.2f}x "
        f"(onnx-int8 {onnx_rate:,.1f} abstracts/s at batch size {onnx_size}; "
        f"best torch fp32 {torch_rate:,.1f} abstracts/s, at batch size {torch_size}); "
        f"mean cosine to torch fp32 {comparison['mean_cosine']}",
        flush=True,
    )
    if "nDCG@10" in results[REFERENCE] and "nDCG@10" in results[CANDIDATE]:
        torch_ndcg, onnx_ndcg = results[REFERENCE]["nDCG@10"], results[CANDIDATE]["nDCG@10"]
        comparison.update(
            torch_fp32_ndcg10=torch_ndcg,
            onnx_int8_ndcg10=onnx_ndcg,
            ndcg10_difference=round(onnx_ndcg - torch_ndcg, 4),
        )
        print(
            f"SciFact test nDCG@10: torch fp32 {torch_ndcg:.4f}, onnx-int8 {onnx_ndcg:.4f} "
            f"(onnx-int8 - torch fp32 = {onnx_ndcg - torch_ndcg:+.4f})",
            flush=True,
        )
    return comparison


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
    parser.add_argument(
        "--rounds", type=int, default=1, help="times each backend embeds at each batch size"
    )
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args()

    doc_ids, texts = read_corpus()
    queries = key_phrase_queries(LATENCY_QUERIES)
    load_before = os.getloadavg()
    embedders, results = load_backends(args.backends, args.model, args.cache_dir, texts)
    print(f"abstracts/s over {THROUGHPUT_DOCS:,} SciFact abstracts ...", flush=True)
    rates, vectors = measure_throughput(embedders, texts[:THROUGHPUT_DOCS], max(1, args.rounds))
    for backend, embedder in embedders.items():
        for batch_size, per_second in rates[backend].items():
            results[backend][f"docs_per_s_bs{batch_size}"] = round(per_second, 1)
        batch_size, per_second = best_rate(rates[backend])
        results[backend]["best_batch_size"] = batch_size
        results[backend]["best_docs_per_s"] = round(per_second, 1)
        latency = query_latency(embedder, queries)
        results[backend]["query_latency_ms"] = {k: round(v, 2) for k, v in latency.items()}
        print(
            f"  {backend}: best {per_second:,.1f} abstracts/s (batch size {batch_size}); "
            f"query latency p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms",
            flush=True,
        )
    if CANDIDATE in vectors and REFERENCE in vectors:  # same model, so same space
        cosines = (vectors[CANDIDATE] * vectors[REFERENCE]).sum(axis=1)
        results[CANDIDATE]["mean_cosine_to_torch"] = round(float(cosines.mean()), 4)
        results[CANDIDATE]["min_cosine_to_torch"] = round(float(cosines.min()), 4)
    if args.quality:
        for backend, embedder in embedders.items():
            started = time.perf_counter()
            quality = retrieval_quality(embedder, doc_ids, texts, vectors[backend])
            results[backend].update({name: round(value, 4) for name, value in quality.items()})
            results[backend]["quality_s"] = round(time.perf_counter() - started, 1)
            print(f"  {backend}: SciFact test {quality}", flush=True)
    if CANDIDATE in results and REFERENCE in results:
        results["_comparison"] = compare(results)
    results["_run"] = {
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "docs": THROUGHPUT_DOCS,
        "rounds": max(1, args.rounds),
        "cpus": os.cpu_count(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
    }
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
