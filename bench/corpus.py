"""Scale-test corpora whose text statistics follow the real arXiv sample.

A corpus of N papers starts with real papers from the sample (the first ``min(N // 2, sample)``
records, in file order) and continues with synthetic ones. Each synthetic paper remixes the
sample:

* a *template* paper is drawn uniformly from the sample; the new paper takes its categories, its
  listing date and its title and abstract lengths (in words), so those joint distributions are
  the sample's;
* its title and abstract are stitched from spans of 2-8 consecutive words cut from real titles
  and abstracts: half of the spans from the template itself, half from random papers sharing the
  template's primary category. Every word therefore occurs at the sample's rate (vocabulary and
  term frequencies follow), local word order is real (phrase queries behave), and topics stay
  coherent within a paper (posting lists are as bursty as in real text);
* the number of authors is the template's; each name is drawn from all author occurrences in the
  sample, so prolific names stay prolific.

Deterministic under ``seed``: the same (N, seed) gives the same file, byte for byte. Papers are
written one at a time to gzip JSON lines in papersift's own export format (``source``
``"synthetic"``, ids ``synthetic:0000001``), so a 1M-paper corpus never sits in memory; only the
sample (about 75k papers, packed into one string plus offsets) does.

Usage: python -m bench.corpus --papers 100000 [--seed 1] [--out DIR] [--stats]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from bench.common import SAMPLE, require

GENERATOR_VERSION = 1
SPAN_WORDS = (2, 8)
SYNTHETIC_SOURCE = "synthetic"
_WORD_START = re.compile(r"\S+")
Record = dict[str, Any]


class TextPool:
    """Many texts packed into one string, with the offsets of every word: spans of consecutive
    words are then cheap slices, and 75k abstracts cost one string and two integer arrays."""

    def __init__(self, texts: list[str]) -> None:
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        first_word = [0]
        position = 0
        for text in texts:
            words = text.split()
            for word in words:
                starts.append(position)
                position += len(word)
                ends.append(position)
                position += 1
                pieces.append(word)
            first_word.append(len(starts))
        self.text = " ".join(pieces)
        self.starts: npt.NDArray[np.int64] = np.asarray(starts, dtype=np.int64)
        self.ends: npt.NDArray[np.int64] = np.asarray(ends, dtype=np.int64)
        self.first_word: npt.NDArray[np.int64] = np.asarray(first_word, dtype=np.int64)

    def word_count(self, doc: int) -> int:
        return int(self.first_word[doc + 1] - self.first_word[doc])

    def span(self, doc: int, rng: random.Random, words: int) -> tuple[str, int]:
        """Up to ``words`` consecutive words of text ``doc`` from a random start, and how many."""
        available = self.word_count(doc)
        if available == 0:
            return "", 0
        words = min(words, available)
        first = int(self.first_word[doc]) + rng.randint(0, available - words)
        last = first + words - 1
        return self.text[int(self.starts[first]) : int(self.ends[last])], words


@dataclass
class Sample:
    """What the generator learns from the real sample."""

    records: list[Record]
    titles: TextPool
    abstracts: TextPool
    by_category: dict[str, list[int]]
    author_names: list[str]

    @classmethod
    def load(cls, path: Path) -> Sample:
        records = []
        with gzip.open(require(path), "rb") as handle:
            for line in handle:
                if line.strip():
                    records.append(orjson.loads(line))
        if not records:
            raise SystemExit(f"{path} holds no papers")
        by_category: dict[str, list[int]] = defaultdict(list)
        for number, record in enumerate(records):
            by_category[_primary(record)].append(number)
        return cls(
            records=records,
            titles=TextPool([str(r["title"]) for r in records]),
            abstracts=TextPool([str(r["abstract"]) for r in records]),
            by_category=dict(by_category),
            author_names=[name for r in records for name in r.get("authors") or []],
        )


def _primary(record: Record) -> str:
    categories = record.get("categories") or ["none"]
    return str(categories[0])


class Generator:
    def __init__(self, sample: Sample, seed: int) -> None:
        self.sample = sample
        self.seed = seed

    def papers(self, count: int) -> Iterator[Record]:
        """The corpus of ``count`` papers, real ones first, one record at a time."""
        real = min(count // 2, len(self.sample.records))
        yield from self.sample.records[:real]
        rng = random.Random(self.seed)
        for number in range(1, count - real + 1):
            yield self.synthetic(number, rng)

    def synthetic(self, number: int, rng: random.Random) -> Record:
        template = rng.randrange(len(self.sample.records))
        source = self.sample.records[template]
        neighbours = self.sample.by_category[_primary(source)]
        authors = len(source.get("authors") or []) or 1
        return {
            "id": f"{SYNTHETIC_SOURCE}:{number:07d}",
            "source": SYNTHETIC_SOURCE,
            "version": 1,
            "title": self._text(self.sample.titles, template, neighbours, rng),
            "abstract": self._text(self.sample.abstracts, template, neighbours, rng),
            "authors": [rng.choice(self.sample.author_names) for _ in range(authors)],
            "categories": list(source.get("categories") or []),
            "listed": source.get("date"),
        }

    @staticmethod
    def _text(pool: TextPool, template: int, neighbours: list[int], rng: random.Random) -> str:
        target = max(1, pool.word_count(template))
        spans: list[str] = []
        written = 0
        while written < target:
            doc = template if rng.random() < 0.5 else rng.choice(neighbours)
            words = min(rng.randint(*SPAN_WORDS), target - written)
            text, taken = pool.span(doc, rng, words)
            if taken:
                spans.append(text)
                written += taken
        return " ".join(spans)


def corpus_path(out_dir: Path, papers: int, seed: int) -> Path:
    return out_dir / f"corpus-{papers}-seed{seed}-v{GENERATOR_VERSION}.jsonl.gz"


def write_corpus(
    papers: int, seed: int, out_dir: Path, sample_path: Path = SAMPLE, progress: bool = True
) -> Path:
    """The corpus file, written unless it already exists (a partial file from an interrupted run
    is never taken for a finished one: it is written under another name and renamed at the end).
    """
    path = corpus_path(out_dir, papers, seed)
    if path.exists():
        return path
    out_dir.mkdir(parents=True, exist_ok=True)
    generator = Generator(Sample.load(sample_path), seed)
    partial = path.with_name(path.name + ".partial")
    records = generator.papers(papers)
    if progress:
        from tqdm import tqdm

        records = tqdm(records, total=papers, desc=f"corpus {papers:,}", unit=" papers")
    with gzip.open(partial, "wb", compresslevel=1) as handle:
        for record in records:
            handle.write(orjson.dumps(record) + b"\n")
    os.replace(partial, path)
    return path


def read_corpus(path: Path, limit: int | None = None) -> Iterator[Record]:
    with gzip.open(path, "rb") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            yield orjson.loads(line)


# how close the synthetic part is to the sample ------------------------------------------------


def text_statistics(records: Iterator[Record], limit: int) -> dict[str, Any]:
    """Lengths, authors, categories and term frequencies of up to ``limit`` records."""
    title_words: list[int] = []
    abstract_words: list[int] = []
    authors: list[int] = []
    terms: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for number, record in enumerate(records):
        if number >= limit:
            break
        words = str(record["abstract"]).lower().split()
        title_words.append(len(str(record["title"]).split()))
        abstract_words.append(len(words))
        authors.append(len(record.get("authors") or []))
        terms.update(words)
        categories[_primary(record)] += 1
    return {
        "papers": len(title_words),
        "title_words_mean": statistics.fmean(title_words),
        "abstract_words_mean": statistics.fmean(abstract_words),
        "abstract_words_p90": float(np.percentile(abstract_words, 90)),
        "authors_mean": statistics.fmean(authors),
        "vocabulary": len(terms),
        "terms": terms,
        "categories": categories,
    }


def compare(real: dict[str, Any], synthetic: dict[str, Any]) -> dict[str, Any]:
    """Side-by-side figures, plus the rank correlation of the 2,000 most frequent real terms'
    frequencies and the overlap of the two category distributions."""
    top = [term for term, _ in real["terms"].most_common(2000)]
    real_ranks = _ranks([real["terms"][t] for t in top])
    synthetic_ranks = _ranks([synthetic["terms"][t] for t in top])
    real_total = sum(real["categories"].values())
    synthetic_total = sum(synthetic["categories"].values())
    overlap = sum(
        min(real["categories"][c] / real_total, synthetic["categories"][c] / synthetic_total)
        for c in real["categories"]
    )
    keys = ("papers", "title_words_mean", "abstract_words_mean", "abstract_words_p90")
    rows = {key: (real[key], synthetic[key]) for key in (*keys, "authors_mean", "vocabulary")}
    return {
        "rows": rows,
        "top_terms_spearman": float(np.corrcoef(real_ranks, synthetic_ranks)[0, 1]),
        "category_overlap": overlap,
    }


def _ranks(values: list[int]) -> npt.NDArray[np.float64]:
    order = np.argsort(np.asarray(values), kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(len(values))
    return ranks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/papersift-bench"))
    parser.add_argument("--stats", action="store_true", help="compare with the sample")
    args = parser.parse_args()
    if args.papers < 1:
        parser.error("--papers must be at least 1")
    path = write_corpus(args.papers, args.seed, args.out)
    print(path)
    if args.stats:
        sample = Sample.load(SAMPLE)
        synthetic = (r for r in read_corpus(path) if r.get("source") == SYNTHETIC_SOURCE)
        real = random.Random(args.seed).sample(sample.records, min(20_000, len(sample.records)))
        report = compare(text_statistics(iter(real), 20_000), text_statistics(synthetic, 20_000))
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
