"""Building an impact snapshot of the keyword index: every (term, paper) score computed once.

papersift's score for a plain-word query is a sum over (field, term) clauses whose values do
not depend on the query. Title and abstract always get the same terms, so their two clauses
are stored as one impact (``t:<term>``: 0.5 x title BM25 + abstract BM25, with the index's
boosts); the authors field, analysed apart, has its own (``n:<name word>``). Impacts are
integers: the score times ``scale``, rounded, so that a sum of them ranks as the scores do to
within a few parts in a million.

Papers are read once, in batches: each batch's postings are sorted and written to disk as a
run, so memory holds one batch and the vocabulary, whatever the corpus size. The runs are then
merged into PISA's binary collection in lexicon order, a range of terms at a time, and PISA
compresses it.
"""

from __future__ import annotations

import logging
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.indexes.impact import pisa
from papersift.indexes.impact.bm25 import FieldStats, field_stats, fieldnorm_id, idf
from papersift.indexes.impact.terms import NAME_TERM as NAME
from papersift.indexes.impact.terms import TEXT_TERM as TEXT
from papersift.model import Paper
from papersift.text import normalise_for_search

BATCH_PAPERS = 20_000
MERGE_POSTINGS = 8_000_000  # postings in memory at once while the runs are merged
IMPACT_LEVELS = 2**18 - 1  # 64 clauses at the top level still add up exactly in a float32

_log = logging.getLogger(__name__)


class SnapshotOutdated(RuntimeError):
    """The store or the keyword index changed while the snapshot was being built."""


@dataclass(frozen=True, slots=True)
class Built:
    documents: int
    terms: int
    postings: int
    scale: float
    seconds: float


@dataclass(slots=True)
class _Batch:
    """One batch's (term, paper) rows: the field they come from, tf and the stored length."""

    terms: array[int]
    docs: array[int]
    fields: array[int]
    freqs: array[int]
    norms: array[int]

    @classmethod
    def empty(cls) -> _Batch:
        return cls(array("q"), array("q"), array("b"), array("l"), array("B"))


class SnapshotBuilder:
    """Writes the PISA files of a snapshot into ``target`` from the store's papers."""

    def __init__(
        self,
        index: Any,
        analyzers: dict[str, Any],
        boosts: dict[str, float],
        target: Path,
        *,
        store_rev: int,
        on_paper: Callable[[], object] | None = None,
    ) -> None:
        self._index = index  # the open tantivy index the statistics are read from
        self._searcher = index.searcher()
        self._analyzers = analyzers
        self._boosts = boosts
        self._target = target
        self._store_rev = store_rev
        self._on_paper = on_paper
        self._lexicon: dict[str, int] = {}
        self._doc_freqs: array[int] = array("q")
        self._counts: array[int] = array("q")  # postings per term so far
        self._stats: dict[str, FieldStats | None] = {}
        self._scale = 0.0
        self._batches = 0
        self._postings = 0
        self._sizes: array[int] = array("q")

    def build(self, papers: Iterable[tuple[int, Paper]]) -> Built:
        started = time.perf_counter()
        self._target.mkdir(parents=True)
        documents = 0
        with (self._target / "fwd.documents").open("w", encoding="utf-8") as names:
            batch, sizes = _Batch.empty(), array("q")
            for rev, paper in papers:
                if rev > self._store_rev:
                    raise SnapshotOutdated("the store changed since the keyword index was built")
                names.write(paper.id + "\n")
                sizes.append(self._add(batch, documents, paper))
                documents += 1
                if self._on_paper is not None:
                    self._on_paper()
                if len(sizes) == BATCH_PAPERS:
                    self._write_batch(batch, sizes)
                    batch, sizes = _Batch.empty(), array("q")
            if sizes:
                self._write_batch(batch, sizes)
        terms = len(self._lexicon)
        self._finish()
        return Built(
            documents=documents,
            terms=terms,
            postings=self._postings,
            scale=self._scale,
            seconds=time.perf_counter() - started,
        )

    # reading papers ----------------------------------------------------------------------------

    def _add(self, batch: _Batch, doc: int, paper: Paper) -> int:
        """Add one paper's rows to ``batch``; returns how many tokens it has."""
        fields = {
            "title": (TEXT, normalise_for_search(paper.title)),
            "abstract": (TEXT, normalise_for_search(paper.abstract)),
            "authors": (NAME, normalise_for_search(" ; ".join(paper.authors))),
        }
        length = 0
        for code, (field, (prefix, text)) in enumerate(fields.items()):
            tokens = self._analyzers[field].analyze(text)
            if not tokens:
                continue
            length += len(tokens)
            norm = fieldnorm_id(len(tokens))
            for term, freq in Counter(tokens).items():
                batch.terms.append(self._term_id(prefix + term))
                batch.docs.append(doc)
                batch.fields.append(code)
                batch.freqs.append(freq)
                batch.norms.append(norm)
        return max(length, 1)

    def _term_id(self, key: str) -> int:
        found = self._lexicon.get(key)
        if found is None:
            found = self._lexicon[key] = len(self._lexicon)
            self._doc_freqs.extend((0, 0, 0))  # title, abstract, authors
            self._counts.append(0)
            field_names = ("title", "abstract") if key.startswith(TEXT) else ("authors",)
            for field in field_names:
                code = ("title", "abstract", "authors").index(field)
                frequency = self._searcher.doc_freq(field, key[len(TEXT) :])
                self._doc_freqs[3 * found + code] = frequency
        return found

    # writing batches ---------------------------------------------------------------------------

    def _field_stats(self, field: str, term: str) -> FieldStats | None:
        if field not in self._stats:
            self._stats[field] = field_stats(self._index, field, term)
        return self._stats[field]

    def _scores(self, batch: _Batch) -> npt.NDArray[np.float64]:
        terms = np.frombuffer(batch.terms, dtype=np.int64)
        codes = np.frombuffer(batch.fields, dtype=np.int8)
        freqs = np.frombuffer(batch.freqs, dtype=np.int64).astype(np.float32)
        norms = np.frombuffer(batch.norms, dtype=np.uint8)
        doc_freqs = np.frombuffer(self._doc_freqs, dtype=np.int64).reshape(-1, 3)
        scores = np.zeros(len(terms), dtype=np.float64)
        keys = list(self._lexicon)  # insertion order: the term ids
        for code, field in enumerate(("title", "abstract", "authors")):
            rows = np.flatnonzero(codes == code)
            if not len(rows):
                continue
            prefix = NAME if field == "authors" else TEXT
            stats = self._field_stats(field, keys[int(terms[rows[0]])][len(prefix) :])
            if stats is None:  # a paper has a term the index does not: they differ
                raise SnapshotOutdated(f"the keyword index has no {field} term of the store")
            self._set_scale(stats)
            frequency = doc_freqs[terms[rows], code].astype(np.float32)
            boost = self._boosts.get(field, 1.0)
            scores[rows] = stats.scores(frequency, freqs[rows], norms[rows], boost)
        return scores

    def _set_scale(self, stats: FieldStats) -> None:
        """Fix the scale on the first batch: the largest impact any (term, paper) can have (a
        term in one paper, title and abstract together) gets ``IMPACT_LEVELS``."""
        if self._scale:
            return
        text = self._boosts.get("title", 1.0) + self._boosts.get("abstract", 1.0)
        largest = max(text, self._boosts.get("authors", 1.0))
        ceiling = float(idf(np.asarray([1.0], dtype=np.float32), stats.documents)[0]) * 2.2
        self._scale = IMPACT_LEVELS / (ceiling * largest)

    def _write_batch(self, batch: _Batch, sizes: array[int]) -> None:
        """Sort one batch's postings by term then paper and keep them on disk as a run."""
        terms = np.frombuffer(batch.terms, dtype=np.int64)
        docs = np.frombuffer(batch.docs, dtype=np.int64)
        scores = self._scores(batch)
        order = np.lexsort((docs, terms))
        terms, docs, scores = terms[order], docs[order], scores[order]
        # Title and abstract rows of one (term, paper) become one posting.
        changed = (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(np.r_[True, changed]) if len(terms) else np.zeros(0, np.int64)
        summed = np.add.reduceat(scores, starts) if len(starts) else np.zeros(0)
        run = np.empty((3, len(starts)), dtype=np.uint32)
        run[0], run[1] = terms[starts], docs[starts]
        run[2] = np.maximum(1, np.rint(summed * self._scale))
        counts = np.frombuffer(self._counts, dtype=np.int64)
        counts += np.bincount(run[0], minlength=len(counts))
        np.save(self._run_path(self._batches), run)
        self._sizes.extend(sizes)
        self._batches += 1
        self._postings += run.shape[1]

    def _run_path(self, number: int) -> Path:
        return self._target / f"run.{number}.npy"

    # finishing ---------------------------------------------------------------------------------

    def _finish(self) -> None:
        target = self._target
        keys = sorted(self._lexicon)  # PISA looks terms up by binary search
        with (target / "fwd.terms").open("w", encoding="utf-8") as out:
            out.writelines(key + "\n" for key in keys)
        by_rank = np.fromiter((self._lexicon[key] for key in keys), np.int64, len(keys))
        rank = np.empty(len(keys), dtype=np.uint32)
        rank[by_rank] = np.arange(len(keys), dtype=np.uint32)
        self._lexicon.clear()
        counts = np.frombuffer(self._counts, dtype=np.int64)[by_rank]
        edges = _chunk_edges(counts)
        runs = [self._rank_run(n, rank, edges) for n in range(self._batches)]
        self._merge_runs(runs, counts, edges)
        for n in range(self._batches):
            self._raw_path(n).unlink()
        sizes = np.asarray(self._sizes, dtype=np.uint32)
        with (target / "inv.sizes").open("wb") as out:
            out.write(np.asarray([len(sizes)], dtype=np.uint32).tobytes() + sizes.tobytes())
        pisa.write_lexicon(target / "fwd.documents", target / "fwd.doclex")
        pisa.write_lexicon(target / "fwd.terms", target / "fwd.termlex")
        pisa.compile_index(target)
        for kind in ("docs", "freqs", "sizes"):  # the compiled index replaces the collection
            (target / f"inv.{kind}").unlink()

    def _raw_path(self, number: int) -> Path:
        return self._target / f"run.{number}.u32"

    def _rank_run(
        self, number: int, rank: npt.NDArray[np.uint32], edges: npt.NDArray[np.int64]
    ) -> tuple[int, npt.NDArray[np.int64]]:
        """Rewrite a run with its term ids replaced by lexicon ranks, sorted by rank (papers
        stay in order within a term); returns its size and where each range of terms starts."""
        run = np.load(self._run_path(number))
        run[0] = rank[run[0]]
        run = run[:, np.argsort(run[0], kind="stable")]
        run.tofile(self._raw_path(number))  # three rows: terms, papers, impacts
        self._run_path(number).unlink()
        return run.shape[1], np.searchsorted(run[0], edges).astype(np.int64)

    def _merge_runs(
        self,
        runs: list[tuple[int, npt.NDArray[np.int64]]],
        counts: npt.NDArray[np.int64],
        edges: npt.NDArray[np.int64],
    ) -> None:
        """Write the binary collection, term by term in lexicon order, a range of terms at a
        time: each run holds a contiguous slice of the range, and the runs are in paper order,
        so a stable sort by term puts every list in paper order. Runs are read, not mapped:
        mapped pages would count in the process's memory."""
        with (
            (self._target / "inv.docs").open("wb") as docs_out,
            (self._target / "inv.freqs").open("wb") as freqs_out,
        ):
            docs_out.write(np.asarray([1, len(self._sizes)], dtype=np.uint32).tobytes())
            for part in range(len(edges) - 1):
                pieces = [
                    _read_run(self._raw_path(n), size, int(at[part]), int(at[part + 1]))
                    for n, (size, at) in enumerate(runs)
                ]
                chunk = np.concatenate(pieces, axis=1)
                chunk = chunk[:, np.argsort(chunk[0], kind="stable")]
                first, last = int(edges[part]), int(edges[part + 1])
                _write_lists(docs_out, counts[first:last], chunk[1])
                _write_lists(freqs_out, counts[first:last], chunk[2])


def _chunk_edges(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Term ranks that cut the lexicon into ranges of about ``MERGE_POSTINGS`` postings."""
    ends = np.cumsum(counts)
    edges = [0]
    while edges[-1] < len(counts):
        first = edges[-1]
        before = int(ends[first - 1]) if first else 0
        last = max(first + 1, int(np.searchsorted(ends, before + MERGE_POSTINGS)))
        edges.append(min(last, len(counts)))
    return np.asarray(edges, dtype=np.int64)


def _read_run(path: Path, size: int, lo: int, hi: int) -> npt.NDArray[np.uint32]:
    """Columns ``lo:hi`` of a run's three rows."""
    rows = []
    with path.open("rb") as handle:
        for row in range(3):
            handle.seek((row * size + lo) * 4)
            rows.append(np.fromfile(handle, dtype=np.uint32, count=hi - lo))
    return np.vstack(rows)


def _write_lists(out: Any, counts: npt.NDArray[np.int64], values: npt.NDArray[Any]) -> None:
    """Write one length-prefixed list per term, ``values`` being the lists one after another."""
    lists = np.empty(len(counts) + len(values), dtype=np.uint32)
    heads = np.arange(len(counts)) + np.concatenate(([0], np.cumsum(counts)[:-1]))
    lists[heads] = counts
    items = np.ones(len(lists), dtype=bool)
    items[heads] = False
    lists[items] = values
    out.write(lists.tobytes())
