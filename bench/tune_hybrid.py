"""Choose hybrid fusion on the SciFact *train* queries, then report it once on test.

Runs BM25 and dense once per query (top ``--depth`` each) and scores every candidate of either
list by both retrievers (``scores_of``: BM25 from the keyword index, the cosine from the stored
vector), then fuses offline: reciprocal rank fusion, and convex combinations (min-max, z-score,
and division by the list's best) over a grid of keyword weights, each with a candidate missing
from one list given that list's minimum (``floor``) or its own score in it (``both``, what
``hybrid_missing_scores`` = both does). Each is measured at the candidate depths of
``--depths`` (the fused list is cut at 100). The configuration with the best train nDCG@10
becomes the default (settings `hybrid_fusion`, `hybrid_normalisation`, `hybrid_keyword_weight`,
`hybrid_missing_scores`); test numbers are printed for reference only.
Usage: python -m bench.tune_hybrid [--embedder onnx-int8] [--depths 100,1000]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from bench.common import SHARED_DATA, int_list, require
from papersift.engine import Engine
from papersift.evaluation import Collection, collection_store, load_collection, score_run
from papersift.retrieval.base import Hit
from papersift.retrieval.fusion import convex_combination, reciprocal_rank_fusion
from papersift.settings import load_settings

WEIGHTS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
Fuser = Callable[[list[list[Hit]], list[dict[str, float]]], list[Hit]]


@dataclass
class QueryRuns:
    """One query's two ranked lists (to the largest depth) and both scores of every
    candidate of either."""

    lists: list[list[Hit]]
    scores: list[dict[str, float]]

    def at(self, depth: int) -> tuple[list[list[Hit]], list[dict[str, float]]]:
        lists = [run[:depth] for run in self.lists]
        union = {hit.paper_id for run in lists for hit in run}
        known = [
            {pid: scores[pid] for pid in union - {hit.paper_id for hit in run} if pid in scores}
            for run, scores in zip(lists, self.scores, strict=True)
        ]
        return lists, known


def candidate_fusions() -> dict[str, Fuser]:
    fusions: dict[str, Fuser] = {"rrf k=60": lambda runs, known: reciprocal_rank_fusion(runs, k=60)}
    for weight in WEIGHTS:
        for norm in ("minmax", "zscore", "max"):
            for scores in ("floor", "both"):
                fusions[f"convex {norm} keyword={weight:.2f} {scores}"] = _convex(
                    weight, norm, both=scores == "both"
                )
    return fusions


def _convex(weight: float, normalise: str, *, both: bool) -> Fuser:
    def fuse(runs: list[list[Hit]], known: list[dict[str, float]]) -> list[Hit]:
        return convex_combination(
            runs, (weight, 1 - weight), normalise=normalise, known=known if both else None
        )

    return fuse


def runs_for(engine: Engine, collection: Collection, depth: int) -> dict[str, QueryRuns]:
    bm25, dense = engine.bm25, engine.dense
    assert dense is not None
    out = {}
    for query_id, text in collection.queries.items():
        lists = [bm25.search(text, depth), dense.search(text, depth)]
        union = {hit.paper_id for run in lists for hit in run}
        out[query_id] = QueryRuns(
            lists, [bm25.scores_of(text, union), dense.scores_of(text, union)]
        )
    return out


def fused_scores(
    collection: Collection, runs: dict[str, QueryRuns], fuse: Fuser, depth: int
) -> dict[str, float]:
    prefix = f"{collection.name}:"
    run = {
        query_id: {
            hit.paper_id.removeprefix(prefix): hit.score for hit in fuse(*runs.at(depth))[:100]
        }
        for query_id, runs in runs.items()
    }
    return score_run(collection, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default="onnx-int8")
    parser.add_argument("--depths", default="100,1000", help="candidate depths, comma-separated")
    args = parser.parse_args()
    depths = int_list(args.depths)
    directory = require(SHARED_DATA / "scifact")
    train, test = load_collection(directory, "train"), load_collection(directory, "test")
    settings = load_settings(embedder_backend=args.embedder)
    with collection_store(train, settings, cache=True) as store_settings:
        engine = Engine(store_settings)
        engine.ingest([train.corpus], namespace=train.name)
        engine.index_vectors(progress=True)
        train_runs, test_runs = (runs_for(engine, c, max(depths)) for c in (train, test))
        identity = engine.embedder().identity
        engine.close()
    print(f"SciFact, {identity}, fused top 100")
    print(
        f"{'fusion':<36} {'depth':>5} {'train nDCG@10':>14} {'test nDCG@10':>13} {'test R@100':>11}"
    )
    results = []
    for depth in depths:
        for name, fuse in candidate_fusions().items():
            on_train = fused_scores(train, train_runs, fuse, depth)
            on_test = fused_scores(test, test_runs, fuse, depth)
            results.append((on_train["ndcg@10"], name, depth, on_test))
            print(
                f"{name:<36} {depth:>5} {on_train['ndcg@10']:>14.4f} "
                f"{on_test['ndcg@10']:>13.4f} {on_test['recall@100']:>11.4f}",
                flush=True,
            )
    best_train, best_name, best_depth, best_test = max(results)
    test_ndcg = best_test["ndcg@10"]
    print(
        f"chosen on train: {best_name} depth {best_depth} (train {best_train:.4f}) "
        f"-> test {test_ndcg:.4f}"
    )


if __name__ == "__main__":
    main()
