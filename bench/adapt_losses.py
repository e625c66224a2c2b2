"""The two losses of ``papersift adapt``, and its default without hard negatives, each for one
full epoch, on the SciFact train split.

For each variant (multiple-negatives ranking, the default; DEXML's decoupled softmax; the
default with in-batch negatives only) the encoder is adapted to the 5,183-document SciFact
corpus alone, with ``papersift adapt``'s other defaults and no time budget (every planned step),
then the raw and the adapted models are measured on the train claims (the split a setting may
be chosen on), dense and hybrid, through onnx-int8.

Each adaptation is resumable and kept in ``--work``, so a second run only measures.

Usage: python -m bench.adapt_losses [--work DIR] [--split train]
       [--json bench/results/adapt_losses.json]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import orjson

from bench.common import SHARED_DATA, require
from papersift.embeddings.adapt import AdaptConfig, Controls, adapt_model
from papersift.embeddings.adapt.config import DECOUPLED_SOFTMAX, MULTIPLE_NEGATIVES
from papersift.evaluation import evaluate_collection, read_corpus_documents
from papersift.settings import Settings, load_settings

SCIFACT = SHARED_DATA / "scifact"
MODES = ("dense", "hybrid")
VARIANTS: dict[str, dict[str, Any]] = {
    MULTIPLE_NEGATIVES: {},
    DECOUPLED_SOFTMAX: {"loss": DECOUPLED_SOFTMAX},
    "in-batch-negatives-only": {"hard_negatives": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("/tmp/papersift-adapt-losses"))
    parser.add_argument("--split", default="train", choices=["train", "test"])
    parser.add_argument("--json", type=Path, default=Path("bench/results/adapt_losses.json"))
    args = parser.parse_args()
    require(SCIFACT / "corpus.jsonl")
    settings = load_settings(data_dir=args.work / "data", model_cache_dir=args.work / "models")
    report: dict[str, Any] = {
        "split": args.split,
        "base_model": settings.embedder_model,
        "load_average_start": os.getloadavg(),
        "raw": measured(settings, settings.embedder_model, args.split),
    }
    documents = read_corpus_documents(SCIFACT / "corpus.jsonl")
    for name, overrides in VARIANTS.items():
        result = adapt_model(
            documents,
            AdaptConfig(settings.embedder_model, **overrides),
            work_root=args.work / f"work-{name}",
            output_root=args.work / "adapted",
            controls=Controls(),
            export_cache_dir=settings.models_dir,
            progress=True,
        )
        meta = result.metadata
        report[name] = {
            "steps": f"{meta['steps']} of {meta['steps_planned']}",
            "training_seconds": meta["training_seconds"],
            "mean_loss_per_epoch": meta.get("losses_per_epoch"),
            **measured(settings, str(result.model_dir), args.split),
        }
    report["load_average_end"] = os.getloadavg()
    args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(table(report))


def measured(settings: Settings, model: str, split: str) -> dict[str, Any]:
    """nDCG@10 and Recall@100 of ``model`` on SciFact's ``split``, dense and hybrid."""
    chosen = settings.model_copy(update={"embedder_model": model})
    found: dict[str, Any] = {}
    for mode in MODES:
        started = time.time()
        result = evaluate_collection(SCIFACT, mode=mode, split=split, settings=chosen, cache=False)
        values = result.to_dict()
        found[mode] = {
            "ndcg@10": values["ndcg@10"],
            "recall@100": values["recall@100"],
            "seconds": round(time.time() - started),
        }
    return found


def table(report: dict[str, Any]) -> str:
    rows = [
        f"| SciFact {report['split']} | raw | {' | '.join(VARIANTS)} |",
        "|---|---|" + "---|" * len(VARIANTS),
    ]
    for mode in MODES:
        for measure in ("ndcg@10", "recall@100"):
            cells = [report[name][mode][measure] for name in ("raw", *VARIANTS)]
            rows.append(f"| {mode} {measure} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    seconds = [str(report[name]["training_seconds"]) for name in VARIANTS]
    rows.append("| training seconds | | " + " | ".join(seconds) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
