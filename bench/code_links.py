"""Repository links found in abstracts: precision and recall against hand labels, and counts.

The labels (bench/data/code_links_labels.tsv) name, for 334 sample abstracts chosen at random,
every repository link a reader sees in the abstract (its header says how they were chosen and
labelled). Precision and recall are counted over (paper, repository root) pairs, ignoring case.

Usage: python -m bench.code_links [--counts] [--json bench/results/code_links.json]
       python -m bench.code_links --select   (prints the ids the labels were drawn from)

``--counts`` also reads the whole sample and prints how many papers have each kind of link.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from bench.common import SAMPLE, require
from papersift.links import find_links
from papersift.model import Paper
from papersift.sources.jsonl import read_jsonl

LABELS = Path(__file__).parent / "data" / "code_links_labels.tsv"
SEED = 32
SUBSET = 1_000
WITHOUT = 130
_MENTION = re.compile(r"(?i)github|huggingface\.co")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", action="store_true", help="Count links in the whole sample.")
    parser.add_argument("--select", action="store_true", help="Print the ids to label.")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args()
    require(SAMPLE)
    abstracts = {r.id: r.abstract for r in read_jsonl(SAMPLE) if isinstance(r, Paper)}
    if args.select:
        print("\n".join(select(abstracts)))
        return
    figures: dict[str, Any] = score(read_labels(LABELS), abstracts)
    if args.counts:
        figures["counts"] = count_kinds(abstracts)
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))


def select(abstracts: dict[str, str]) -> list[str]:
    """The labelled ids: every abstract mentioning GitHub or Hugging Face in a random 1,000,
    then 130 of the others (so that false links in ordinary abstracts count too)."""
    rng = random.Random(SEED)
    subset = rng.sample(list(abstracts), SUBSET)  # in file order
    mentioning = [i for i in subset if _MENTION.search(abstracts[i])]
    others = [i for i in subset if not _MENTION.search(abstracts[i])]
    return mentioning + rng.sample(others, WITHOUT)


def read_labels(path: Path) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        paper_id, *roots = line.split("\t")
        labels[paper_id] = {_root(root) for root in roots}
    return labels


def score(labels: dict[str, set[str]], abstracts: dict[str, str]) -> dict[str, Any]:
    true_positives = found = relevant = 0
    mistakes: list[dict[str, Any]] = []
    for paper_id, expected in labels.items():
        links = find_links(abstracts[paper_id])
        got = {link.repository.lower() for link in links if link.repository}
        true_positives += len(got & expected)
        found += len(got)
        relevant += len(expected)
        if got != expected:
            missed, wrong = sorted(expected - got), sorted(got - expected)
            mistakes.append({"id": paper_id, "missed": missed, "wrong": wrong})
    return {
        "abstracts": len(labels),
        "repository_links": relevant,
        "precision": round(true_positives / found, 4) if found else 1.0,
        "recall": round(true_positives / relevant, 4) if relevant else 1.0,
        "mistakes": mistakes,
    }


def count_kinds(abstracts: dict[str, str]) -> dict[str, int]:
    papers: Counter[str] = Counter()
    for abstract in abstracts.values():
        kinds = {link.kind for link in find_links(abstract)}
        papers.update(kinds)
        papers["any link"] += bool(kinds)
    return {"papers": len(abstracts), **{f"with {kind}": n for kind, n in papers.most_common()}}


def _root(label: str) -> str:
    address = label
    if "." not in address.split("/", 1)[0]:
        address = f"github.com/{address}"
    return f"https://{address}".lower()


if __name__ == "__main__":
    main()
