"""DSI against BM25, dense and hybrid in one run: SciFact; title -> paper on 10,000 arXiv papers.

1. SciFact, decision on *train*: DSI trained on pseudo-queries only (never the queries it is
   judged on) is fused with hybrid as a third list for each candidate weight; DSI joins the
   default hybrid only if some weight beats hybrid on train.
2. SciFact *test*: DSI trained on pseudo-queries plus the train claims; dsi, bm25, dense, hybrid
   and hybrid+dsi (the weight chosen on train) in one table, with DSI's training time.
3. arXiv: a seeded 10,000-paper subset of the sample as a collection whose documents are the
   abstracts only; each title is a query whose one relevant document is its paper. DSI is trained
   on pseudo-queries from the abstracts (it never sees a title). Hits@1 and Hits@10.

Each retriever runs once per query (BM25 and dense to depth 300, DSI to its beam); fusion is
done offline with the engine's own fusion functions.
Usage: python -m bench.dsi_eval --data-dir DIR [--epochs N] [--title-queries N] [--json FILE]
       [--skip-scifact | --skip-arxiv]
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from bench.common import SAMPLE, SHARED_DATA, require
from papersift.engine import Engine
from papersift.evaluation import (
    Collection,
    collection_store,
    load_collection,
    relevant_pairs,
    score_run,
)
from papersift.retrieval.base import Hit
from papersift.retrieval.hybrid import Fusion
from papersift.settings import Settings, load_settings

DEPTH = 300
DSI_WEIGHTS = (0.1, 0.2, 0.3, 0.4)
SHOWN = ("ndcg@10", "recall@10", "hits@1", "hits@10")
Runs = dict[str, dict[str, list[Hit]]]  # retriever -> query id -> hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="Where the eval stores go.")
    parser.add_argument("--epochs", type=int, default=None, help="Default: PAPERSIFT_DSI_EPOCHS.")
    parser.add_argument("--arxiv-docs", type=int, default=10_000)
    parser.add_argument("--title-queries", type=int, default=2_000, help="Titles evaluated.")
    parser.add_argument("--skip-arxiv", action="store_true")
    parser.add_argument("--skip-scifact", action="store_true")
    parser.add_argument("--json", type=Path, help="Write every figure here too.")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    report: dict[str, Any] = {"settings": {"embedder": settings.embedder_model}}
    if not args.skip_scifact:
        scifact = require(SHARED_DATA / "scifact")
        report["scifact"] = scifact_tables(scifact, settings, args.epochs)
    if not args.skip_arxiv:
        collection = write_arxiv_collection(args.data_dir / "arxiv-titles", args.arxiv_docs)
        report["arxiv"] = arxiv_table(collection, settings, args.epochs, args.title_queries)
    if args.json:
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


def scifact_tables(directory: Path, settings: Settings, epochs: int | None) -> dict[str, Any]:
    train, test = load_collection(directory, "train"), load_collection(directory, "test")
    with collection_store(test, settings, cache=True) as store:
        engine = prepared_engine(store, test)
        try:
            engine.train_dsi(epochs=epochs, progress=True)  # pseudo-queries only
            train_runs = retrieve(engine, train)
            decision = choose_weight(train, train_runs)
            pairs = relevant_pairs(train)
            trained = engine.train_dsi(epochs=epochs, train_queries=pairs, progress=True)
            test_runs = retrieve(engine, test)
        finally:
            engine.close()
    weight = decision["chosen_weight"] or settings.dsi_hybrid_weight
    table = measure_all(test, test_runs, settings, weight)
    print_table(f"SciFact test ({len(test.queries)} queries), hybrid+dsi weight {weight}", table)
    print(
        f"DSI training on this machine: {trained.seconds:.0f} s for {trained.epochs} epochs, "
        f"{trained.parameters / 1e6:.1f}M parameters, {sum(trained.queries.values()):,} "
        f"examples per epoch ({len(pairs)} train-claim pairs)"
    )
    return {
        "train_decision": decision,
        "test": table,
        "dsi_training_seconds": round(trained.seconds, 1),
        "dsi_epochs": trained.epochs,
        "dsi_parameters": trained.parameters,
        "dsi_examples": trained.queries,
    }


def arxiv_table(
    directory: Path, settings: Settings, epochs: int | None, title_queries: int
) -> dict[str, Any]:
    collection = load_collection(directory, "test")
    chosen = sorted(collection.queries)
    random.Random(11).shuffle(chosen)
    kept = {qid: collection.queries[qid] for qid in sorted(chosen[:title_queries])}
    qrels = {qid: collection.qrels[qid] for qid in kept}  # queries left out must not count as 0
    judged = Collection(collection.name, collection.corpus, kept, qrels)
    with collection_store(collection, settings, cache=True) as store:
        engine = prepared_engine(store, collection)
        try:
            trained = engine.train_dsi(epochs=epochs, progress=True)
            runs = retrieve(engine, judged)
        finally:
            engine.close()
    table = measure_all(judged, runs, settings, settings.dsi_hybrid_weight)
    print_table(
        f"arXiv title -> paper ({len(kept):,} titles over {trained.documents:,} abstracts)", table
    )
    print(f"DSI training: {trained.seconds:.0f} s for {trained.epochs} epochs")
    return {
        "table": table,
        "dsi_training_seconds": round(trained.seconds, 1),
        "dsi_epochs": trained.epochs,
        "queries": len(kept),
        "documents": trained.documents,
    }


def prepared_engine(store: Settings, collection: Collection) -> Engine:
    engine = Engine(store)
    engine.ingest([collection.corpus], namespace=collection.name, progress=True)
    engine.index_vectors(progress=True)
    return engine


def retrieve(engine: Engine, collection: Collection) -> Runs:
    """Each retriever's hits for each query, and its latency."""
    runs: Runs = {}
    for mode in ("bm25", "dense", "dsi"):
        retriever, hits, times = engine.retriever(mode), {}, []
        for query_id, text in collection.queries.items():
            started = time.perf_counter()
            hits[query_id] = retriever.search(text, DEPTH)
            times.append(time.perf_counter() - started)
        runs[mode] = hits
        print(f"  {mode}: {len(times)} queries, p50 {statistics.median(times) * 1000:.1f} ms")
    return runs


def fused(runs: Runs, settings: Settings, dsi_weight: float) -> dict[str, list[Hit]]:
    keyword = settings.hybrid_keyword_weight
    weights: tuple[float, ...] = (keyword, 1 - keyword)
    modes: tuple[str, ...] = ("bm25", "dense")
    if dsi_weight:
        weights = (keyword * (1 - dsi_weight), (1 - keyword) * (1 - dsi_weight), dsi_weight)
        modes = ("bm25", "dense", "dsi")
    fusion = Fusion(settings.hybrid_fusion, weights, normalise=settings.hybrid_normalisation)
    return {qid: fusion.fuse([runs[m][qid] for m in modes]) for qid in runs["bm25"]}


def scores(collection: Collection, hits: dict[str, list[Hit]]) -> dict[str, float]:
    prefix = f"{collection.name}:"
    run = {
        qid: {h.paper_id.removeprefix(prefix): h.score for h in found[:1000]}
        for qid, found in hits.items()
    }
    return score_run(collection, run)


def choose_weight(train: Collection, runs: Runs) -> dict[str, Any]:
    settings = load_settings()
    hybrid = scores(train, fused(runs, settings, 0.0))["ndcg@10"]
    candidates = {w: scores(train, fused(runs, settings, w))["ndcg@10"] for w in DSI_WEIGHTS}
    best = max(candidates, key=lambda w: candidates[w])
    chosen = best if candidates[best] > hybrid else None
    print(
        f"SciFact train nDCG@10: hybrid {hybrid:.4f}; hybrid+dsi "
        + ", ".join(f"w={w}: {v:.4f}" for w, v in candidates.items())
        + " -> "
        + (
            f"best hybrid+dsi weight {chosen} ({candidates[best] - hybrid:+.4f} over hybrid)"
            if chosen
            else "no weight beats hybrid: DSI stays out"
        )
    )
    return {
        "hybrid_ndcg@10": hybrid,
        "hybrid_dsi_ndcg@10": {str(weight): value for weight, value in candidates.items()},
        "chosen_weight": chosen,
        "dsi_alone_ndcg@10": scores(train, runs["dsi"])["ndcg@10"],
    }


def measure_all(
    collection: Collection, runs: Runs, settings: Settings, weight: float
) -> dict[str, dict[str, float]]:
    return {
        "dsi": scores(collection, runs["dsi"]),
        "bm25": scores(collection, runs["bm25"]),
        "dense": scores(collection, runs["dense"]),
        "hybrid": scores(collection, fused(runs, settings, 0.0)),
        "hybrid+dsi": scores(collection, fused(runs, settings, weight)),
    }


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'mode':<11}" + "".join(f"{name:>11}" for name in SHOWN))
    for mode, measures in table.items():
        print(f"  {mode:<11}" + "".join(f"{measures[name]:>11.4f}" for name in SHOWN))


def write_arxiv_collection(directory: Path, size: int) -> Path:
    """A BEIR collection: abstracts as documents (no titles), titles as queries."""
    if (directory / "qrels.tsv").exists():
        return directory
    with gzip.open(require(SAMPLE), "rb") as handle:
        records = [orjson.loads(line) for line in handle]
    chosen = random.Random(2022).sample(records, size)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "corpus.jsonl").open("wb") as corpus:
        for record in chosen:
            corpus.write(
                orjson.dumps({"_id": record["id"], "title": "", "text": record["abstract"]}) + b"\n"
            )
    with (directory / "queries.jsonl").open("wb") as queries:
        for record in chosen:
            queries.write(orjson.dumps({"_id": record["id"], "text": record["title"]}) + b"\n")
    rows = "".join(f"{record['id']}\t{record['id']}\t1\n" for record in chosen)
    (directory / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    return directory


if __name__ == "__main__":
    main()
