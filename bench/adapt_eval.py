"""Raw against adapted encoder, in one run: SciFact, arXiv titles, similar papers, training time.

* **SciFact** (``../shared/data/scifact``): the encoder is adapted to the 5,183-document corpus
  alone (``papersift.evaluation.adapt_to_corpus``: the same adaptation as ``papersift eval
  --adapt``, within ``--scifact-minutes``), then nDCG@10 and Recall@100 are measured for the raw
  and the adapted model, dense and hybrid, on the test claims (reported) and the train claims
  (which guided the settings; the test split informed no choice).
* **arXiv titles** (``--arxiv-papers`` papers of the arXiv sample, seeded): the encoder is adapted
  to those papers *without their titles* (``use_titles=False``: no title is ever a query or in a
  passage, since titles are the queries here), then each of ``--titles`` papers is searched by its
  exact title among all of them, dense (onnx-int8, the deployment's path): hits@1 and MRR (first
  100 places). Papers whose title is not unique are not asked.
* **Similar papers** (same papers and both models): for ``--similar`` papers that list a rare
  arXiv category (one listed by at most 2% of these papers: not cs.CV, cs.CL, cs.AI, cs.LG...),
  the 10 nearest other papers by cosine, as "similar papers" shows them. Measured: the share of
  those 10 that share a rare category with the paper, that share an author, and that share
  either. Neither signal is seen by the adaptation (it reads titles and abstracts only), and
  both say "another researcher of this niche would call it related" without a judge: a paper by
  the same people, or filed in the same small field.
* **Training time**: the SciFact adaptation's seconds; the arXiv throughput (pairs a second) and
  from it the time one epoch of one pair a paper (the default) would take on all 74,728 papers.

Every timing is on this machine (2 cores) and the load average is recorded with it.

Usage: python -m bench.adapt_eval [--scifact-minutes 40] [--arxiv-papers 3000]
       [--arxiv-steps 60] [--arxiv-minutes 12] [--titles 1000] [--similar 1000]
       [--work DIR] [--seed 0] [--skip scifact|arxiv] [--json bench/results/adapt_eval.json]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from bench.common import SAMPLE, SHARED_DATA, require
from papersift.embeddings import load_embedder
from papersift.embeddings.adapt import AdaptConfig, Controls, Document, adapt_model
from papersift.evaluation import adapt_to_corpus, evaluate_collection, load_collection
from papersift.settings import Settings, load_settings
from papersift.text import normalise_for_search

SCIFACT = SHARED_DATA / "scifact"
ARXIV_SAMPLE_SIZE = 74_728
RARE_SHARE = 0.02
NEIGHBOURS = 10
MEASURES = ("ndcg@10", "recall@100")


def main() -> None:
    args = _arguments()
    started = time.time()
    settings = load_settings(
        data_dir=args.work / "data", model_cache_dir=load_settings().models_dir
    )
    report: dict[str, Any] = {
        "base_model": settings.embedder_model,
        "seed": args.seed,
        "load_average_start": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    if "scifact" not in args.skip:
        report["scifact"] = scifact(settings, args.scifact_minutes)
        _save(report, args.json)
    if "arxiv" not in args.skip:
        report["arxiv"] = arxiv(settings, args)
    report["load_average_end"] = os.getloadavg()
    report["wall_seconds"] = round(time.time() - started)
    _save(report, args.json)
    print(table(report))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scifact-minutes", type=float, default=40.0)
    parser.add_argument("--arxiv-papers", type=int, default=3000)
    parser.add_argument("--arxiv-steps", type=int, default=60)
    parser.add_argument("--arxiv-minutes", type=float, default=12.0)
    parser.add_argument("--titles", type=int, default=1000)
    parser.add_argument("--similar", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/papersift-adapt-bench"))
    parser.add_argument("--skip", action="append", default=[], choices=["scifact", "arxiv"])
    parser.add_argument("--json", type=Path, default=Path("bench/results/adapt_eval.json"))
    return parser.parse_args()


# SciFact ---------------------------------------------------------------------------------------


def scifact(settings: Settings, minutes: float) -> dict[str, Any]:
    require(SCIFACT)
    progress = sys.stderr.isatty()
    collection = load_collection(SCIFACT, "test")
    load_before = os.getloadavg()
    adapted_settings, adaptation = adapt_to_corpus(collection, settings, minutes, progress)
    adaptation["load_average_before"] = load_before
    adaptation["load_average_after"] = os.getloadavg()
    rows = []
    for split in ("test", "train"):
        for mode in ("dense", "hybrid"):
            for model, chosen in (("raw", settings), ("adapted", adapted_settings)):
                result = evaluate_collection(
                    SCIFACT, mode=mode, split=split, settings=chosen, progress=progress
                )
                row = {"split": split, "mode": mode, "model": model, "embedder": result.embedder}
                rows.append(row | {m: round(result.metrics[m], 4) for m in MEASURES})
                print(row | {m: round(result.metrics[m], 4) for m in MEASURES}, flush=True)
    return {"adaptation": adaptation, "results": rows}


# arXiv -----------------------------------------------------------------------------------------


def arxiv(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    papers = _arxiv_papers(args.arxiv_papers, args.seed)
    documents = [Document(p["title"], p["abstract"]) for p in papers]
    config = AdaptConfig(
        settings.embedder_model, seed=args.seed, use_titles=False, max_steps=args.arxiv_steps
    )
    load_before = os.getloadavg()
    result = adapt_model(
        documents,
        config,
        work_root=args.work / "arxiv-adapt",
        output_root=settings.models_dir / "adapted",
        controls=Controls(budget_seconds=args.arxiv_minutes * 60),
        export_cache_dir=settings.models_dir,
        progress=sys.stderr.isatty(),
    )
    meta = result.metadata
    pairs_per_second = meta["steps"] * config.batch_size / max(meta["training_seconds"], 1e-9)
    texts = [normalise_for_search(f"{p['title']} {p['abstract']}") for p in papers]
    titles = _title_queries(papers, args.titles, args.seed)
    similar_queries = _similar_queries(papers, args.similar, args.seed)
    models = {"raw": settings.embedder_model, "adapted": str(result.model_dir)}
    measured: dict[str, Any] = {}
    for name, model in models.items():
        embedder = load_embedder("onnx-int8", model, cache_dir=settings.models_dir)
        vectors = embedder.embed(texts, progress=sys.stderr.isatty())
        asked = embedder.embed([normalise_for_search(papers[i]["title"]) for i in titles])
        measured[name] = {
            "embedder": embedder.identity,
            "titles": title_search(vectors, asked, titles),
            "similar": similar_papers(vectors, papers, similar_queries),
        }
        print(name, measured[name], flush=True)
    return {
        "papers": len(papers),
        "adaptation": {
            "model": str(result.model_dir),
            "titles_used": False,
            "steps": f"{meta['steps']} of {meta['steps_planned']}",
            "pairs": meta["data"]["pairs"],
            "training_seconds": meta["training_seconds"],
            "losses_per_epoch": meta["losses_per_epoch"],
            "pairs_per_second": round(pairs_per_second, 2),
            "estimated_hours_full_sample": round(
                ARXIV_SAMPLE_SIZE * config.pairs_per_doc / pairs_per_second / 3600, 1
            ),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "title_queries": len(titles),
        "similar_queries": len(similar_queries),
        "results": measured,
    }


def _arxiv_papers(count: int, seed: int) -> list[dict[str, Any]]:
    with gzip.open(require(SAMPLE), "rb") as handle:
        papers = [orjson.loads(line) for line in handle]
    papers = [p for p in papers if p.get("abstract", "").strip() and p.get("title", "").strip()]
    chosen = sorted(random.Random(f"arxiv:{seed}").sample(range(len(papers)), count))
    return [papers[i] for i in chosen]


def _title_queries(papers: list[dict[str, Any]], count: int, seed: int) -> list[int]:
    folded = Counter(normalise_for_search(p["title"]).lower() for p in papers)
    unique = [
        i for i, p in enumerate(papers) if folded[normalise_for_search(p["title"]).lower()] == 1
    ]
    return sorted(random.Random(f"titles:{seed}").sample(unique, min(count, len(unique))))


def title_search(vectors: np.ndarray, asked: np.ndarray, titles: list[int]) -> dict[str, float]:
    scores = asked @ vectors.T
    own = scores[np.arange(len(titles)), titles]
    ranks = (scores > own[:, None]).sum(axis=1) + 1
    reciprocal = np.where(ranks <= 100, 1.0 / ranks, 0.0)
    return {
        "hits@1": round(float((ranks == 1).mean()), 4),
        "mrr": round(float(reciprocal.mean()), 4),
    }


def rare_categories(papers: list[dict[str, Any]]) -> set[str]:
    counts = Counter(c for p in papers for c in set(p.get("categories") or []))
    return {c for c, n in counts.items() if n <= RARE_SHARE * len(papers)}


def _similar_queries(papers: list[dict[str, Any]], count: int, seed: int) -> list[int]:
    rare = rare_categories(papers)
    eligible = [i for i, p in enumerate(papers) if rare & set(p.get("categories") or [])]
    return sorted(random.Random(f"similar:{seed}").sample(eligible, min(count, len(eligible))))


def similar_papers(
    vectors: np.ndarray, papers: list[dict[str, Any]], queries: list[int]
) -> dict[str, float]:
    rare = rare_categories(papers)
    categories = [rare & set(p.get("categories") or []) for p in papers]
    authors = [{a.strip().lower() for a in p.get("authors") or []} for p in papers]
    scores = vectors[queries] @ vectors.T
    scores[np.arange(len(queries)), queries] = -np.inf  # a paper is not its own neighbour
    nearest = np.argsort(-scores, axis=1)[:, :NEIGHBOURS]
    shares: dict[str, list[float]] = {"rare category": [], "author": [], "either": []}
    for query, row in zip(queries, nearest, strict=True):
        category = [bool(categories[query] & categories[j]) for j in row]
        author = [bool(authors[query] & authors[j]) for j in row]
        shares["rare category"].append(sum(category) / NEIGHBOURS)
        shares["author"].append(sum(author) / NEIGHBOURS)
        shares["either"].append(
            sum(c or a for c, a in zip(category, author, strict=True)) / NEIGHBOURS
        )
    return {name: round(float(np.mean(values)), 4) for name, values in shares.items()}


# report ----------------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    lines = ["| measure | raw | adapted |", "|---|---|---|"]
    for row_raw, row_adapted in _pairs(report.get("scifact", {}).get("results", [])):
        for measure in MEASURES:
            label = f"SciFact {row_raw['split']} {row_raw['mode']} {measure}"
            lines.append(f"| {label} | {row_raw[measure]:.4f} | {row_adapted[measure]:.4f} |")
    arxiv_part = report.get("arxiv")
    if arxiv_part:
        raw, adapted = arxiv_part["results"]["raw"], arxiv_part["results"]["adapted"]
        for measure in ("hits@1", "mrr"):
            label = f"arXiv title -> paper, dense, {measure} (adapted without titles)"
            lines.append(
                f"| {label} | {raw['titles'][measure]:.4f} | {adapted['titles'][measure]:.4f} |"
            )
        for measure in ("rare category", "author", "either"):
            label = f"similar papers: top-10 share sharing {measure}"
            lines.append(
                f"| {label} | {raw['similar'][measure]:.4f} | {adapted['similar'][measure]:.4f} |"
            )
    return "\n".join(lines)


def _pairs(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    by_key = {(r["split"], r["mode"], r["model"]): r for r in rows}
    keys = sorted({(r["split"], r["mode"]) for r in rows}, key=lambda k: (k[0] != "test", k[1]))
    return [(by_key[(*k, "raw")], by_key[(*k, "adapted")]) for k in keys]


def _save(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
