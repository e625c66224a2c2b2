"""Choose hybrid fusion on the SciFact *train* queries, then report it once on test.

Runs BM25 and dense once per query (top 300 each), then fuses offline with reciprocal rank fusion
and with convex combinations (min-max and z-score normalisation) over a grid of keyword weights.
The configuration with the best train nDCG@10 becomes the default (settings `hybrid_fusion`,
`hybrid_keyword_weight`); test numbers are printed for reference only.
Usage: python -m bench.tune_hybrid [--embedder onnx-int8]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bench.common import SHARED_DATA, require
from papersift.engine import Engine
from papersift.evaluation import Collection, collection_store, load_collection, score_run
from papersift.retrieval.base import Hit
from papersift.retrieval.fusion import convex_combination, reciprocal_rank_fusion
from papersift.settings import load_settings

DEPTH = 300
Fuser = Callable[[list[list[Hit]]], list[Hit]]


def candidate_fusions() -> dict[str, Fuser]:
    fusions: dict[str, Fuser] = {"rrf k=60": lambda runs: reciprocal_rank_fusion(runs, k=60)}
    for weight in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        for norm in ("minmax", "zscore"):
            fusions[f"convex {norm} keyword={weight:.1f}"] = lambda runs, w=weight, n=norm: (
                convex_combination(runs, (w, 1 - w), normalise=n)
            )
    return fusions


def runs_for(engine: Engine, collection: Collection) -> dict[str, list[list[Hit]]]:
    bm25, dense = engine.retriever("bm25"), engine.retriever("dense")
    return {
        query_id: [bm25.search(text, DEPTH), dense.search(text, DEPTH)]
        for query_id, text in collection.queries.items()
    }


def fused_scores(
    collection: Collection, runs: dict[str, list[list[Hit]]], fuse: Fuser
) -> dict[str, float]:
    prefix = f"{collection.name}:"
    run = {
        query_id: {hit.paper_id.removeprefix(prefix): hit.score for hit in fuse(lists)[:100]}
        for query_id, lists in runs.items()
    }
    return score_run(collection, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default="onnx-int8")
    args = parser.parse_args()
    directory = require(SHARED_DATA / "scifact")
    train, test = load_collection(directory, "train"), load_collection(directory, "test")
    settings = load_settings(embedder_backend=args.embedder)
    with collection_store(train, settings, cache=True) as store_settings:
        engine = Engine(store_settings)
        engine.ingest([train.corpus], namespace=train.name)
        engine.index_vectors(progress=True)
        train_runs, test_runs = runs_for(engine, train), runs_for(engine, test)
        identity = engine.embedder().identity
        engine.close()
    print(f"SciFact, {identity}, top {DEPTH} from each retriever")
    print(f"{'fusion':<32} {'train nDCG@10':>14} {'test nDCG@10':>13} {'test R@100':>11}")
    results = []
    for name, fuse in candidate_fusions().items():
        on_train = fused_scores(train, train_runs, fuse)
        on_test = fused_scores(test, test_runs, fuse)
        results.append((on_train["ndcg@10"], name, on_test))
        print(
            f"{name:<32} {on_train['ndcg@10']:>14.4f} {on_test['ndcg@10']:>13.4f} "
            f"{on_test['recall@100']:>11.4f}"
        )
    best_train, best_name, best_test = max(results)
    test_ndcg = best_test["ndcg@10"]
    print(f"chosen on train: {best_name} (train {best_train:.4f}) -> test {test_ndcg:.4f}")


if __name__ == "__main__":
    main()
