"""The inputs every system is measured on: the corpus's texts and ids, realistic queries, seeds
for similar papers, and the shared document vectors. Built once per corpus and kept."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.common import key_phrase_queries
from bench.corpus import read_corpus
from bench.suite.context import Context

Matrix = npt.NDArray[np.float32]


def document_texts(context: Context) -> Iterator[tuple[str, str]]:
    """(paper id as papersift stores it, title + abstract) in corpus order."""
    for record in read_corpus(context.corpus):
        yield stored_id(record), f"{record['title']}\n{record['abstract']}"


def stored_id(record: dict[str, Any]) -> str:
    return str(record["id"])


def queries(context: Context) -> list[str]:
    """Distinct 2-6 word phrases of real titles (what a reader types), the same for every size."""
    distinct = dict.fromkeys(key_phrase_queries(context.queries * 2, seed=context.seed))
    return list(distinct)[: context.queries]


def paper_ids(context: Context) -> list[str]:
    """Every paper id in corpus order (cached beside the corpus)."""
    path = context.folder / "ids.json"
    if not path.exists():
        context.folder.mkdir(parents=True, exist_ok=True)
        ids = [stored_id(record) for record in read_corpus(context.corpus)]
        write_json(path, ids)
    loaded: list[str] = json.loads(path.read_text())
    return loaded


def similar_seeds(context: Context) -> list[int]:
    """Corpus positions of the papers whose similar papers are asked for."""
    rng = random.Random(context.seed + 1)
    return rng.sample(range(context.papers), min(context.similar_seeds, context.papers))


def vectors_path(context: Context) -> Path:
    return context.folder / f"vectors-{context.label}.npy"


def query_vectors_path(context: Context) -> Path:
    return context.folder / f"query-vectors-{context.label}.npy"


def exact_truth_path(context: Context) -> Path:
    return context.folder / f"exact-top10-{context.label}.npy"


def load_vectors(context: Context) -> tuple[Matrix, Matrix]:
    """(document vectors in corpus order, query vectors), float32 unit rows."""
    documents = np.load(vectors_path(context)).astype(np.float32)
    return documents, load_query_vectors(context)


def load_query_vectors(context: Context) -> Matrix:
    return np.load(query_vectors_path(context)).astype(np.float32)


def write_json(path: Path, value: Any) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value))
    partial.replace(path)
