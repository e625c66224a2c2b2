"""tantivy's BM25, term by term, so that a snapshot's impacts are the scores tantivy gives.

tantivy scores a term in a field as ``idf * (1 + k1) * tf / (tf + k1 * (1 - b + b * dl /
avgdl))`` in 32-bit floats, where the field length ``dl`` is stored on one byte (the table
below, Lucene's scheme) and ``N``, ``n`` and ``avgdl`` count every document of every segment,
deleted ones too until a merge drops them. So the statistics are read from the tantivy index
itself (``searcher.doc_freq`` and one explanation per field), never recounted from the store.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import tantivy

K1 = np.float32(1.2)
B = np.float32(0.75)


def _field_norms_table() -> list[int]:
    """tantivy's ``FIELD_NORMS_TABLE``: 24 exact lengths, then 3 bits of mantissa."""
    table = list(range(24))
    for code in range(256 - 24):
        bits, shift = code & 0b111, code >> 3
        table.append(24 + (bits if shift == 0 else (bits | 8) << (shift - 1)))
    return table


FIELD_NORMS = _field_norms_table()
_NORMS = np.asarray(FIELD_NORMS, dtype=np.float32)


def fieldnorm_id(length: int) -> int:
    """The byte tantivy stores for a field of ``length`` tokens (the largest entry not above)."""
    return bisect_right(FIELD_NORMS, length) - 1


def idf(doc_freq: npt.NDArray[np.float32], documents: int) -> npt.NDArray[np.float32]:
    total = np.float32(documents)
    ratio = (total - doc_freq + np.float32(0.5)) / (doc_freq + np.float32(0.5))
    return np.log(np.float32(1.0) + ratio).astype(np.float32)


@dataclass(frozen=True, slots=True)
class FieldStats:
    """What a field's BM25 needs besides the term: the documents counted (N) and avgdl."""

    documents: int
    average_length: float

    def norms(self) -> npt.NDArray[np.float32]:
        """``k1 * (1 - b + b * dl / avgdl)`` for each of the 256 stored lengths."""
        average = np.float32(self.average_length)
        return (K1 * (np.float32(1.0) - B + B * _NORMS / average)).astype(np.float32)

    def scores(
        self,
        doc_freq: npt.NDArray[np.float32],
        term_freq: npt.NDArray[np.float32],
        norm_ids: npt.NDArray[np.uint8],
        boost: float,
    ) -> npt.NDArray[np.float32]:
        weight = idf(doc_freq, self.documents) * (np.float32(1.0) + K1)
        scores = weight * term_freq / (term_freq + self.norms()[norm_ids])
        return (scores * np.float32(boost)).astype(np.float32)


def field_stats(index: Any, field: str, term: str) -> FieldStats | None:
    """N and avgdl of ``field`` as tantivy scores it, read from its explanation of a query for
    ``term`` (a term some document has in that field); None when no document has it."""
    searcher = index.searcher()
    query = tantivy.Query.term_query(index.schema, field, term)
    found = searcher.search(query, 1, count=False).hits
    if not found:
        return None
    explanation = json.loads(query.explain(searcher, found[0][1]).to_json())
    values = dict(_constants(explanation))
    return FieldStats(
        documents=int(values["N, total number of docs"]),
        average_length=float(values["avgdl, average length of field"]),
    )


def _constants(node: dict[str, Any]) -> list[tuple[str, float]]:
    found = [(str(node.get("description")), float(node.get("value", 0.0)))]
    for child in node.get("details") or []:
        found.extend(_constants(child))
    return found
