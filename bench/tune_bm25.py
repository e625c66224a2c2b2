"""Choose the keyword index's field boosts on the SciFact *train* queries (never on test).

Prints nDCG@10 and Recall@100 for a grid of title/abstract/author boosts on the train split,
then the chosen setting's test score for reference. Usage: python -m bench.tune_bm25
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from bench.common import SHARED_DATA, require
from papersift.engine import Engine
from papersift.evaluation import load_collection, run_queries, score_run
from papersift.settings import Settings


def main() -> None:
    directory = require(SHARED_DATA / "scifact")
    train, test = load_collection(directory, "train"), load_collection(directory, "test")
    with tempfile.TemporaryDirectory() as scratch:
        engine = Engine(Settings(data_dir=Path(scratch), database_url=f"sqlite:///{scratch}/t.db"))
        engine.ingest([train.corpus], namespace=train.name)
        results = []
        for title, authors in itertools.product((0.3, 0.5, 0.7, 1.0), (0.5, 1.0)):
            engine.keyword_index.boosts = {"title": title, "abstract": 1.0, "authors": authors}
            metrics = score_run(train, run_queries(engine, train, "bm25", progress=False))
            results.append((metrics["ndcg@10"], title, authors, metrics["recall@100"]))
            print(
                f"title {title:.1f} authors {authors:.1f}: train nDCG@10 {metrics['ndcg@10']:.4f}"
                f"  R@100 {metrics['recall@100']:.4f}"
            )
        best = max(results)
        engine.keyword_index.boosts = {"title": best[1], "abstract": 1.0, "authors": best[2]}
        metrics = score_run(test, run_queries(engine, test, "bm25", progress=False))
        print(
            f"chosen on train: title {best[1]}, authors {best[2]} -> "
            f"test nDCG@10 {metrics['ndcg@10']:.4f}  R@100 {metrics['recall@100']:.4f}"
        )
        engine.close()


if __name__ == "__main__":
    main()
