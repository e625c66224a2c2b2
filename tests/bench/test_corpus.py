"""The scale-test corpus generator (bench/corpus.py) on a small sample made here."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import orjson
import pytest

from bench.corpus import Generator, Sample, compare, read_corpus, text_statistics, write_corpus
from papersift.sources import Malformed
from papersift.sources.jsonl import read_jsonl

TOPICS = {
    "cs.LG": "gradient descent neural network training loss optimiser learning rate batch",
    "astro-ph.GA": "galaxy cluster dark matter halo redshift survey stellar mass spectra",
    "math.AP": "elliptic equation boundary regularity sobolev estimate weak solution existence",
}


def _sample(path: Path, papers: int = 30) -> Path:
    records = []
    for number in range(papers):
        category = list(TOPICS)[number % len(TOPICS)]
        words = TOPICS[category].split()
        abstract = " ".join(words[(number + i) % len(words)] for i in range(20 + number))
        records.append(
            {
                "id": f"2501.{number:05d}",
                "title": " ".join(words[number % 5 : number % 5 + 4]).title(),
                "abstract": abstract,
                "authors": [f"Author {number % 7}", f"Author {number * 3 % 11}"][: 1 + number % 2],
                "categories": [category, "stat.ML"] if number % 4 == 0 else [category],
                "date": f"2025-0{1 + number % 9}-1{number % 10}",
            }
        )
    with gzip.open(path, "wb") as handle:
        for record in records:
            handle.write(orjson.dumps(record) + b"\n")
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return _sample(tmp_path / "sample.jsonl.gz")


def test_real_papers_come_first_then_synthetic_ones(sample: Path, tmp_path: Path) -> None:
    path = write_corpus(50, seed=3, out_dir=tmp_path / "out", sample_path=sample, progress=False)
    records = list(read_corpus(path))
    assert len(records) == 50
    assert [r["id"] for r in records[:25]] == [f"2501.{n:05d}" for n in range(25)]
    synthetic = records[25:]
    assert [r["id"] for r in synthetic] == [f"synthetic:{n:07d}" for n in range(1, 26)]
    assert all(r["source"] == "synthetic" for r in synthetic)


def test_same_seed_same_bytes_other_seed_other_papers(sample: Path, tmp_path: Path) -> None:
    first = write_corpus(40, 1, tmp_path / "a", sample_path=sample, progress=False)
    again = write_corpus(40, 1, tmp_path / "b", sample_path=sample, progress=False)
    other = write_corpus(40, 2, tmp_path / "c", sample_path=sample, progress=False)
    assert gzip.decompress(first.read_bytes()) == gzip.decompress(again.read_bytes())
    assert gzip.decompress(first.read_bytes()) != gzip.decompress(other.read_bytes())


def test_synthetic_text_follows_its_template(sample: Path) -> None:
    loaded = Sample.load(sample)
    vocabulary = {word for r in loaded.records for word in str(r["abstract"]).split()}
    titles = {word for r in loaded.records for word in str(r["title"]).split()}
    lengths = {len(str(r["abstract"]).split()) for r in loaded.records}
    dates = {r["date"] for r in loaded.records}
    authors = {name for r in loaded.records for name in r["authors"]}
    for record in Generator(loaded, seed=5).papers(200):
        if record.get("source") != "synthetic":
            continue
        words = str(record["abstract"]).split()
        assert set(words) <= vocabulary
        assert set(str(record["title"]).split()) <= titles
        assert len(words) in lengths  # the template's length, word for word
        assert record["listed"] in dates
        assert set(record["authors"]) <= authors
        primary = record["categories"][0]
        # Spans come from papers of the template's primary category: no foreign topic words.
        foreign = set().union(*(TOPICS[c].split() for c in TOPICS if c != primary))
        assert not set(words) & foreign


def test_every_paper_is_ingestible(sample: Path, tmp_path: Path) -> None:
    path = write_corpus(60, 9, tmp_path, sample_path=sample, progress=False)
    parsed = list(read_jsonl(path))
    assert len(parsed) == 60
    assert not [item for item in parsed if isinstance(item, Malformed)]


def test_an_interrupted_write_is_not_taken_for_a_corpus(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = write_corpus(10, 1, out, sample_path=sample, progress=False)
    partial = path.with_name(path.name + ".partial")
    assert not partial.exists()
    path.unlink()
    partial.write_bytes(b"half a file")
    rewritten = write_corpus(10, 1, out, sample_path=sample, progress=False)
    assert len(list(read_corpus(rewritten))) == 10


def test_statistics_agree_with_the_sample(sample: Path) -> None:
    loaded = Sample.load(sample)
    synthetic = (r for r in Generator(loaded, 4).papers(2000) if r.get("source") == "synthetic")
    report = compare(text_statistics(iter(loaded.records), 30), text_statistics(synthetic, 1000))
    real_mean, synthetic_mean = report["rows"]["abstract_words_mean"]
    assert abs(real_mean - synthetic_mean) / real_mean < 0.1
    assert report["category_overlap"] > 0.9


def test_ids_are_unique(sample: Path) -> None:
    ids = [r["id"] for r in Generator(Sample.load(sample), 1).papers(500)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"2501\.\d{5}|synthetic:\d{7}", i) for i in ids)
