"""One hard negative per pair: a document BM25 ranks near the top for the pair's query.

The deployment's own keyword index (tantivy, the same analysers and BM25 as its searches) is built
over the documents in a temporary directory, so the negatives are the papers its lexical search
confuses with the right one, which hybrid search most needs the encoder to tell apart. The negative
is drawn at random from the ``depth`` best matches other than the pair's document rather than
always the best: the very best match is the likeliest to be relevant after all (an unlabelled
false negative). A query nothing matches gets a random document.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from tqdm import tqdm

from papersift.embeddings.adapt.pairs import Document, Pair
from papersift.indexes.keyword import KeywordIndex
from papersift.model import Paper

DEPTH = 10
_STORE_ID = "adapt"


def mine_hard_negatives(
    documents: Sequence[Document],
    pairs: Sequence[Pair],
    *,
    use_titles: bool,
    seed: int,
    depth: int = DEPTH,
    progress: bool = False,
) -> list[int]:
    """For each pair, the index of a document to contrast with its passage (never its own)."""
    generator = random.Random(f"negatives:{seed}")
    with tempfile.TemporaryDirectory(prefix="papersift-adapt-bm25-") as scratch:
        index = KeywordIndex(Path(scratch))
        index.update(_papers(documents, use_titles), store_id=_STORE_ID, fresh=True)
        negatives = []
        for pair in tqdm(pairs, desc="hard negatives", unit=" pairs", disable=not progress):
            matches = [hit for hit in _matches(index, pair.query, depth + 1) if hit != pair.doc]
            candidates = matches[:depth] or _any_other(len(documents), pair.doc)
            negatives.append(generator.choice(candidates))
    return negatives


def _papers(documents: Sequence[Document], use_titles: bool) -> Iterator[tuple[int, Paper]]:
    for number, document in enumerate(documents):
        title = document.title if use_titles else ""
        yield 1, Paper(id=str(number), title=title, abstract=document.abstract, source="adapt")


def _matches(index: KeywordIndex, query: str, k: int) -> list[int]:
    try:
        return [int(hit.paper_id) for hit in index.search(query, k)]
    except ValueError:  # a query tantivy cannot parse even as plain words
        return []


def _any_other(count: int, doc: int) -> list[int]:
    return [other for other in range(count) if other != doc] or [doc]
