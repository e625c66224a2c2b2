"""A static model whose vectors spread like the default model's: the 1M benchmark's stand-in.

Embedding a million papers with the default model (all-MiniLM-L6-v2, onnx-int8) takes about
11 hours on two cores, so the scale benchmarks embed with the static model distilled from it
(about 1,000 papers/s). But the static model's paper vectors all lean one way: two random papers
have a mean cosine near 0.97 (the default model's: about 0.3), and a paper's 10th and 11th
nearest neighbours differ by hair's breadths. No graph index (HNSW in pgvector, usearch, hnswlib)
finds that top 10 reliably, so recall measured on them says more about the static model than
about the index.

This writes a model2vec model (``<work>/models/centred``) that is the static model with the
common direction partly taken out: every token vector minus ``alpha`` times the mean
unnormalised vector of the first ``--mean-papers`` corpus papers (a text's vector is the mean of
its token vectors, so this shifts every text's vector by the same amount). ``alpha`` is chosen
so that random pairs of the first ``--pairs`` * 2 corpus papers have the same mean cosine as
with the default model. Pass the printed path as ``--model`` to ``python -m bench`` and
``bench.postgres_scale``.

Usage: python -m bench.centred_static [--work DIR] [--size 1000000] [--mean-papers 10000]
       [--pairs 1000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bench.common import mean_cosine
from bench.corpus import read_corpus
from bench.suite.context import Context
from bench.suite.papersift_side import DEFAULT_MODEL_BACKEND
from papersift.embeddings import load_embedder
from papersift.embeddings.base import Vectors
from papersift.embeddings.models import DEFAULT_MODEL, build_atomically
from papersift.embeddings.static_backend import StaticEmbedder
from papersift.text import normalise_for_search

if TYPE_CHECKING:
    from model2vec import StaticModel

DEFAULT_WORK = Path("/tmp/papersift-bench")
NAME = "centred"


def main() -> None:
    arguments = _arguments()
    context = Context.static(arguments.size, arguments.work)
    target = context.models_dir / NAME
    if target.exists():
        print(f"{target} exists (delete it to make it again)")
        return
    read = max(arguments.mean_papers, 2 * arguments.pairs)
    texts = [
        normalise_for_search(f"{record['title']} {record['abstract']}")
        for record in read_corpus(context.corpus, limit=read)
    ]
    static = StaticEmbedder(DEFAULT_MODEL, cache_dir=context.models_dir)
    default = load_embedder(DEFAULT_MODEL_BACKEND, DEFAULT_MODEL, cache_dir=context.models_dir)
    pairs = texts[: 2 * arguments.pairs]
    print(f"embedding {len(pairs):,} papers with {default.identity} ...", flush=True)
    target_cosine = _pair_cosine(default.embed(pairs, batch_size=32))
    model = static._model  # bench-only: the model2vec model's token vectors
    if model.weights is not None or model.token_mapping is not None:
        raise SystemExit("the static model weighs or maps its tokens; this tool expects neither")
    mean = _unnormalised(model, texts[: arguments.mean_papers]).mean(axis=0)
    paired = _unnormalised(model, pairs)
    alpha = _alpha(paired, mean, target_cosine)
    before = _pair_cosine(paired)

    def build(staging: Path) -> None:
        model.embedding = np.asarray(model.embedding, np.float32) - alpha * mean
        model.save_pretrained(str(staging))
        (staging / "papersift-centred.json").write_text(
            json.dumps(
                {
                    "from": str(static.directory),
                    "alpha": alpha,
                    "mean_papers": arguments.mean_papers,
                    "pairs": arguments.pairs,
                    "pair_cosine_static": before,
                    "pair_cosine_default_model": target_cosine,
                },
                indent=1,
            )
        )

    build_atomically(target, build)
    print(
        f"random-pair cosine: static {before:.3f}, default model {target_cosine:.3f}; "
        f"alpha {alpha:.4f}\nwrote {target}\nuse --model {target}"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="whose corpus to read")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--mean-papers", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=1000)
    return parser.parse_args()


def _unnormalised(model: StaticModel, texts: list[str]) -> Vectors:
    """The mean token vector of each text (what model2vec normalises into its embedding)."""
    normalise = model.normalize
    model.normalize = False
    try:
        return np.asarray(model.encode(texts, use_multiprocessing=False), np.float32)
    finally:
        model.normalize = normalise


def _pair_cosine(vectors: Vectors) -> float:
    """Mean cosine of row i with row i + half: pairs of unrelated papers."""
    half = len(vectors) // 2
    return mean_cosine(vectors[:half], vectors[half : 2 * half])


def _alpha(vectors: Vectors, mean: Vectors, target: float) -> float:
    """The ``alpha`` in [0, 1] at which ``vectors - alpha * mean`` pair up at ``target``
    (bisection: taking out more of the mean only lowers the pairs' cosine here)."""
    low, high = 0.0, 1.0
    for _ in range(40):
        middle = (low + high) / 2
        if _pair_cosine(vectors - middle * mean) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


if __name__ == "__main__":
    main()
