"""The semantic vector index: approximate nearest neighbours over paper embeddings.

The index is a self-describing directory::

    papersift.json         format, embedder identity, dimension, kind, HNSW parameters, counts,
                           store id and revision, and which generation directory is current
    gen-000007/
        hnsw.faiss         faiss IndexHNSWSQ (8-bit scalar quantised), absent for kind "exact"
        vectors.npy        the unit vectors as float16 (memory-mapped), position order
        ids.npy            paper ids, UTF-8 bytes, position order
        ids_sorted.npy     the same ids sorted, with ids_order.npy their positions (id lookup)
        dates.npy          int32 days since 1970-01-01 per position, -1 when unknown
        category_names.json, category_offsets.npy, category_postings.npy
                           per-category sorted position lists (CSR), for fast category filters
        tombstones.npy     bool per position: superseded by a later ``add`` of the same id

Every build or ``add`` writes a complete new generation directory and only then replaces
``papersift.json`` (atomically) to point at it, so a crash at any moment leaves the previous
index intact: the metadata never claims more than its generation holds. Stale generations are
removed after the switch and by the next write.

faiss HNSW cannot delete, so ``add`` appends the new vector of a changed paper and tombstones
the old position; searches skip tombstones and a rebuild compacts them (``needs_rebuild``).

Small indexes (kind "exact") are scanned exactly by a faiss IndexFlatIP loaded into memory.
Large ones search the HNSW graph; a filtered search takes the path fastest for the number of
papers it allows (see GATHER_LIMIT below), so it still returns k results when k match. Either
way the candidates are re-scored with the float16 vectors: scores are cosine similarities that
do not depend on the path that found them. Not safe for concurrent writers.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from papersift.errors import IndexError_, MissingDependencyError
from papersift.indexes.batches import check_batch, unit_rows
from papersift.indexes.meta import fsync_directory, meta_stamp, read_meta, write_meta

FORMAT_VERSION = 1
KIND_EXACT = "exact"
KIND_HNSW = "hnsw-sq8"
METRIC = "ip"
RAW_DTYPE = np.float16
# Chosen by `python -m bench.vector_search` on 1M clustered 384-d vectors (M=32, efC=80): recall@10
# after float16 re-scoring is 0.949 at efSearch 64, 0.980 at 96 (p50 0.96 ms), 0.986 at 128.
DEFAULT_EF_SEARCH = 96
# The graph's links per node and build-time candidate list, unless the build is given others.
DEFAULT_M = 32
DEFAULT_EF_CONSTRUCTION = 80
# How a filtered search finds its candidates, by the number of allowed vectors. Up to GATHER_LIMIT
# it scores their float16 rows directly. Up to FLAT_SCAN_FRACTION of the index it scans all 8-bit
# codes through a bitmap: exact after re-scoring, ~5 ms + 0.3 us per allowed vector at 1M. Above
# that it searches the HNSW graph through the bitmap with efSearch / fraction (capped), which at
# 1M took 14 ms at 5% and 4.5 ms at 30% with recall@10 >= 0.99, but lost recall below ~2%.
# (Measured on a shared 2-core machine at load 2-4, so absolute times are pessimistic.)
GATHER_LIMIT = 1_000
FLAT_SCAN_FRACTION = 0.03
MAX_FILTERED_EF = 2_048
# An unfiltered search fetches this many extra candidates at most to make up for excluded ids;
# more exclusions make it a filtered search.
MAX_OVERFETCH = 200
REBUILD_TOMBSTONE_FRACTION = 0.2
BUILD_CHUNK = 50_000
SQ_TRAINING_SAMPLE = 100_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Unknown dates never match a date filter. (A paper dated 1969-12-31 is taken as undated.)
UNKNOWN_DAY = -1

Positions = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Matrix = npt.NDArray[np.float32]


def _faiss() -> Any:
    try:
        return importlib.import_module("faiss")
    except ImportError as exc:
        raise MissingDependencyError("faiss-cpu", extra="semantic") from exc


@dataclass(slots=True)
class _Generation:
    """The arrays of one loaded generation (read-only; ``add`` writes a new one)."""

    meta: dict[str, Any]
    ids: npt.NDArray[np.bytes_]
    ids_sorted: npt.NDArray[np.bytes_]
    ids_order: Positions
    vectors: npt.NDArray[np.float16]
    dates: npt.NDArray[np.int32]
    category_codes: dict[str, int]
    category_offsets: Positions
    category_postings: Positions
    tombstones: Mask
    ann: Any  # the faiss HNSW index; None for kind exact
    flat: Any  # scanned by filtered searches: the HNSW's SQ8 codes, or exact floats
    live_selector: Any  # faiss selector of live positions; None without tombstones

    @property
    def size(self) -> int:
        return len(self.ids)

    def positions_of(self, paper_ids: Collection[str]) -> Positions:
        """Live positions of those ``paper_ids`` that are in the index (unknown ids dropped)."""
        if not paper_ids or self.size == 0:
            return np.empty(0, dtype=np.int64)
        wanted = _encode_ids(paper_ids)
        # Replacements are appended, and ids_order is a stable sort, so the last of equal ids
        # is the live one.
        slots = np.searchsorted(self.ids_sorted, wanted, side="right") - 1
        slots = np.clip(slots, 0, self.size - 1)
        found = self.ids_sorted[slots] == wanted
        return np.asarray(self.ids_order[slots[found]], dtype=np.int64)

    def category_positions(self, categories: Sequence[str]) -> Positions:
        codes = [self.category_codes[name] for name in categories if name in self.category_codes]
        lists = [
            self.category_postings[self.category_offsets[c] : self.category_offsets[c + 1]]
            for c in codes
        ]
        return np.concatenate(lists) if lists else np.empty(0, dtype=np.int64)

    def paper_id(self, position: int) -> str:
        return bytes(self.ids[position]).decode()


class VectorIndex:
    """Nearest-neighbour search over unit vectors, with category, date and id filters."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._generation: _Generation | None = None
        self._meta_stamp: int | None = None

    # state -------------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        """The index metadata, or None when there is no index."""
        return read_meta(self.path)

    def indexed_rev(self, store_id: str, identity: str) -> int | None:
        """The store revision this index is complete up to, or None if it must be rebuilt."""
        meta = self.meta()
        if (
            meta is None
            or meta.get("format") != FORMAT_VERSION
            or meta.get("store_id") != store_id
            or meta.get("identity") != identity
        ):
            return None
        return int(meta["store_rev"])

    def load(self) -> None:
        """Open the current generation (searches do this lazily on first use)."""
        self._generation = None
        self._loaded()

    def __len__(self) -> int:
        """The number of live (searchable) vectors."""
        meta = self.meta()
        return int(meta["vectors"]) if meta else 0

    @property
    def needs_rebuild(self) -> bool:
        """True when tombstones take too much room, or an exact index outgrew its threshold."""
        meta = self.meta()
        if meta is None:
            return True
        positions = int(meta["positions"])
        if meta["kind"] == KIND_EXACT and positions >= int(meta["exact_below"]):
            return True
        return int(meta["tombstones"]) > REBUILD_TOMBSTONE_FRACTION * max(positions, 1)

    def contains(self, paper_id: str) -> bool:
        return len(self._loaded().positions_of([paper_id])) > 0

    def vector_of(self, paper_id: str) -> npt.NDArray[np.float32] | None:
        """The stored unit vector of ``paper_id`` (float32), or None if it is not indexed."""
        generation = self._loaded()
        positions = generation.positions_of([paper_id])
        if len(positions) == 0:
            return None
        return np.asarray(generation.vectors[positions[0]], dtype=np.float32)

    def vectors_of(self, paper_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored unit vectors (float32) of those ``paper_ids`` that are indexed."""
        generation = self._loaded()
        positions = generation.positions_of(list(dict.fromkeys(paper_ids)))
        rows = np.asarray(generation.vectors[positions], dtype=np.float32)  # one read, not many
        return {generation.paper_id(int(p)): row for p, row in zip(positions, rows, strict=True)}

    def clear(self) -> None:
        """Delete the whole index directory."""
        self._generation = None
        if self.path.exists():
            shutil.rmtree(self.path)

    # writing -----------------------------------------------------------------------------------

    def build(
        self,
        ids: Sequence[str],
        vectors: npt.NDArray[np.floating[Any]],
        *,
        dates: Sequence[date | None],
        categories: Sequence[Sequence[str]],
        identity: str,
        store_id: str,
        store_rev: int,
        exact_below: int = 20_000,
        m: int | None = None,
        ef_construction: int | None = None,
        ef_search: int = DEFAULT_EF_SEARCH,
        progress: bool = False,
        embedder: dict[str, Any] | None = None,
    ) -> None:
        """Replace the index with these vectors (one row per id, normalised here).

        Below ``exact_below`` vectors the index is exact (numpy); otherwise it is a faiss HNSW
        graph over 8-bit scalar-quantised vectors with ``m`` links per node (default
        ``DEFAULT_M``) built with ``ef_construction`` candidates (``DEFAULT_EF_CONSTRUCTION``).
        """
        check_batch(ids, vectors, dates, categories)
        m = m or DEFAULT_M
        ef_construction = ef_construction or max(DEFAULT_EF_CONSTRUCTION, 2 * m)
        kind = KIND_HNSW if len(ids) >= max(exact_below, 1) else KIND_EXACT
        hnsw = {"m": m, "ef_construction": ef_construction, "ef_search": ef_search}
        meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "identity": identity,
            "embedder": embedder,
            "dimension": int(vectors.shape[1]),
            "metric": METRIC,
            "kind": kind,
            "hnsw": hnsw if kind == KIND_HNSW else None,
            "exact_below": exact_below,
            "raw_dtype": np.dtype(RAW_DTYPE).name,
            "store_id": store_id,
            "store_rev": store_rev,
        }
        names, codes, positions = _category_pairs(categories, start=0, names=[])
        with self._new_generation() as directory:
            ann = _new_hnsw(vectors, m, ef_construction) if kind == KIND_HNSW else None
            _write_vectors(directory, vectors, ann, progress=progress)
            _write_attributes(
                directory,
                ids=_encode_ids(ids),
                days=_day_numbers(dates),
                categories=(names, codes, positions),
                tombstones=np.zeros(len(ids), dtype=np.bool_),
                ann=ann,
            )
        self._switch_to(meta | _counts(directory, np.zeros(len(ids), dtype=np.bool_)))

    def add(
        self,
        ids: Sequence[str],
        vectors: npt.NDArray[np.floating[Any]],
        *,
        dates: Sequence[date | None],
        categories: Sequence[Sequence[str]],
        store_rev: int,
    ) -> None:
        """Append new papers and replace changed ones (their old vectors become tombstones)."""
        check_batch(ids, vectors, dates, categories)
        old = self._loaded(fresh=True)
        if vectors.shape[1] != old.meta["dimension"]:
            raise ValueError(
                f"vectors have dimension {vectors.shape[1]}, the index {old.meta['dimension']}"
            )
        if not ids:
            old.meta = old.meta | {"store_rev": store_rev}
            self._write_meta(old.meta)
            return
        try:
            self._append(old, ids, vectors, dates, categories, store_rev)
        except BaseException:
            self._generation = None  # the in-memory faiss index may hold the new vectors
            raise

    def _append(
        self,
        old: _Generation,
        ids: Sequence[str],
        vectors: npt.NDArray[np.floating[Any]],
        dates: Sequence[date | None],
        categories: Sequence[Sequence[str]],
        store_rev: int,
    ) -> None:
        tombstones = np.concatenate([old.tombstones, np.zeros(len(ids), dtype=np.bool_)])
        tombstones[old.positions_of(ids)] = True
        old_names = list(old.category_codes)
        old_codes = np.repeat(np.arange(len(old_names)), np.diff(old.category_offsets))
        names, codes, positions = _category_pairs(categories, start=old.size, names=old_names)
        with self._new_generation() as directory:
            _append_vectors(directory, old.vectors, vectors, old.ann)
            _write_attributes(
                directory,
                ids=np.concatenate([old.ids, _encode_ids(ids)]),
                days=np.concatenate([old.dates, _day_numbers(dates)]),
                categories=(
                    names,
                    np.concatenate([old_codes, codes]),
                    np.concatenate([old.category_postings, positions]),
                ),
                tombstones=tombstones,
                ann=old.ann,
            )
        self._switch_to(old.meta | _counts(directory, tombstones) | {"store_rev": store_rev})

    @contextmanager
    def _new_generation(self) -> Iterator[Path]:
        """A fresh, empty generation directory; removed again if writing it fails."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._remove_stale_generations()
        meta = self.meta()
        number = int(meta["generation"].split("-")[1]) + 1 if meta and "generation" in meta else 1
        directory = self.path / f"gen-{number:06d}"
        directory.mkdir()
        try:
            yield directory
            _flush_to_disk(directory)  # before the metadata points at it
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise

    def _switch_to(self, meta: dict[str, Any]) -> None:
        """Point the metadata at a complete generation, then drop the other generations."""
        self._write_meta(meta)
        self._generation = None
        self._remove_stale_generations()

    def _write_meta(self, meta: dict[str, Any]) -> None:
        write_meta(self.path, meta)

    def _remove_stale_generations(self) -> None:
        meta = self.meta()
        current = meta.get("generation") if meta else None
        for entry in self.path.glob("gen-*"):
            if entry.name != current:
                shutil.rmtree(entry, ignore_errors=True)

    # loading -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Pick up a generation another process wrote (long-running processes call this; it
        reads the metadata only when its file has changed)."""
        stamp = meta_stamp(self.path)
        if self._generation is not None and stamp != self._meta_stamp:
            self._loaded(fresh=True)
        self._meta_stamp = stamp

    def _loaded(self, *, fresh: bool = False) -> _Generation:
        """The current generation; ``fresh`` first checks that no other process replaced it."""
        if fresh and self._generation is not None:
            meta = self.meta()
            if meta is None or meta.get("generation") != self._generation.meta["generation"]:
                self._generation = None
        if self._generation is None:
            meta = self.meta()
            if meta is None or meta.get("format") != FORMAT_VERSION:
                raise IndexError_(f"no vector index in {self.path}: run `papersift index` first")
            try:
                self._generation = _open_generation(self.path / meta["generation"], meta)
            except (OSError, ValueError, KeyError) as exc:
                raise IndexError_(f"cannot open the vector index in {self.path}: {exc}") from exc
        return self._generation

    # searching ---------------------------------------------------------------------------------

    def search(
        self,
        query: npt.NDArray[np.floating[Any]],
        k: int,
        *,
        categories: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        allowed_ids: Collection[str] | None = None,
        exclude_ids: Collection[str] = (),
        ef_search: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest papers to ``query`` as (paper id, cosine), best first.

        Filters combine with AND: in any of ``categories``, dated within [since, until] (undated
        papers never match a date filter), among ``allowed_ids``, and not in ``exclude_ids``.
        Filtered searches return k results whenever k papers match.
        """
        generation = self._loaded()
        if k <= 0 or generation.size == 0:
            return []
        unit = unit_rows(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
        if len(unit) != generation.meta["dimension"]:
            raise ValueError(
                f"query has dimension {len(unit)}, the index {generation.meta['dimension']}"
            )
        ef = ef_search or int((generation.meta["hnsw"] or {}).get("ef_search", DEFAULT_EF_SEARCH))
        excluded = generation.positions_of(exclude_ids)
        mask = _filter_mask(generation, categories, since, until, allowed_ids)
        with _one_faiss_thread():
            if mask is None and len(excluded) <= MAX_OVERFETCH:
                hits = _unfiltered_search(generation, unit, k, ef, excluded)
                if len(hits) >= min(k, generation.meta["vectors"] - len(excluded)):
                    return _named(generation, hits)
            if mask is None:  # many exclusions, or HNSW came back short: search as if filtered
                mask = ~generation.tombstones
            mask[excluded] = False
            return _named(generation, _filtered_search(generation, unit, k, ef, mask))


# searching -------------------------------------------------------------------------------------

Hits = list[tuple[int, float]]


@contextmanager
def _one_faiss_thread() -> Iterator[None]:
    """Run faiss single-threaded for one query: its OpenMP teams only add overhead there, and
    on a busy machine a flat scan got 4-20x slower with 2 threads (bench.vector_search).
    The thread count is per calling thread in OpenMP, so concurrent builds are unaffected."""
    faiss = _faiss()
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def _filter_mask(
    generation: _Generation,
    categories: Sequence[str],
    since: date | None,
    until: date | None,
    allowed_ids: Collection[str] | None,
) -> Mask | None:
    """Live positions passing the filters, or None when there are no filters."""
    if not categories and since is None and until is None and allowed_ids is None:
        return None
    mask = ~generation.tombstones
    if categories:
        mask &= _mask_of(generation.category_positions(categories), generation.size)
    if since is not None or until is not None:
        days = generation.dates
        mask &= days != UNKNOWN_DAY
        if since is not None:
            mask &= days >= _day_number(since)
        if until is not None:
            mask &= days <= _day_number(until)
    if allowed_ids is not None:
        mask &= _mask_of(generation.positions_of(allowed_ids), generation.size)
    return mask


def _mask_of(positions: Positions, size: int) -> Mask:
    mask = np.zeros(size, dtype=np.bool_)
    mask[positions] = True
    return mask


def _unfiltered_search(
    generation: _Generation, query: Matrix, k: int, ef: int, excluded: Positions
) -> Hits:
    """HNSW (or, for an exact index, a flat scan) skipping tombstones; excluded ids are
    over-fetched and dropped, cheaper than a selector for the usual handful."""
    fetch = max(k + len(excluded), ef)
    candidates = _candidates(generation, query, fetch, ef, generation.live_selector)
    candidates = candidates[~np.isin(candidates, excluded)]
    return _rescored(generation, query, candidates, k)


def _filtered_search(generation: _Generation, query: Matrix, k: int, ef: int, mask: Mask) -> Hits:
    """The k best among the allowed positions, by the path that is fastest for their number."""
    positions = np.flatnonzero(mask)
    if len(positions) <= GATHER_LIMIT:
        return _rescored(generation, query, positions, k)
    selector = _faiss().IDSelectorBitmap(np.packbits(mask, bitorder="little"))
    fraction = len(positions) / generation.size
    if generation.ann is not None and fraction > FLAT_SCAN_FRACTION:
        # Only the allowed fraction of the nodes a graph search visits can be results, so the
        # candidate list grows by 1 / fraction to keep the recall of an unfiltered search.
        filtered_ef = min(int(ef / fraction), MAX_FILTERED_EF)
        candidates = _candidates(generation, query, max(k, ef), filtered_ef, selector)
        hits = _rescored(generation, query, candidates, k)
        if len(hits) >= min(k, len(positions)):
            return hits
    candidates = _candidates(generation, query, max(k, ef), ef, selector, flat=True)
    return _rescored(generation, query, candidates, k)


def _candidates(
    generation: _Generation,
    query: Matrix,
    fetch: int,
    ef: int,
    selector: Any,
    *,
    flat: bool = False,
) -> Positions:
    """Up to ``fetch`` positions nearest to ``query`` by faiss, restricted to ``selector``:
    from the HNSW graph, or from a flat scan (of its SQ8 codes, or the exact kind's floats)."""
    faiss = _faiss()
    if generation.ann is None or flat:
        index, params = generation.flat, faiss.SearchParameters()
    else:
        index, params = generation.ann, faiss.SearchParametersHNSW(efSearch=max(ef, fetch))
    if selector is not None:
        params.sel = selector
    _, labels = index.search(query.reshape(1, -1), fetch, params=params)
    return np.asarray(labels[0][labels[0] >= 0], dtype=np.int64)


def _rescored(generation: _Generation, query: Matrix, positions: Positions, k: int) -> Hits:
    """The best k of ``positions`` by cosine with the stored float16 vectors, best first."""
    rows = np.asarray(generation.vectors[positions], dtype=np.float32)
    # einsum, not BLAS: multi-threaded gemv was 10x slower on a busy machine.
    scores = np.einsum("ij,j->i", rows, query)
    return _top(scores, positions, k)


def _top(scores: Matrix, positions: Positions, k: int) -> Hits:
    best = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(positions[i]), float(scores[i])) for i in best]


def _named(generation: _Generation, hits: Hits) -> list[tuple[str, float]]:
    return [(generation.paper_id(position), score) for position, score in hits]


# writing ---------------------------------------------------------------------------------------


def _new_hnsw(vectors: npt.NDArray[np.floating[Any]], m: int, ef_construction: int) -> Any:
    """An empty HNSW-SQ8 index whose quantiser is trained on a sample of ``vectors``."""
    faiss = _faiss()
    index = faiss.IndexHNSWSQ(
        vectors.shape[1], faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT
    )
    index.hnsw.efConstruction = ef_construction
    rng = np.random.default_rng(0)
    size = min(len(vectors), SQ_TRAINING_SAMPLE)
    sample = np.sort(rng.choice(len(vectors), size, replace=False))
    index.train(unit_rows(vectors[sample]))
    return index


def _write_vectors(
    directory: Path,
    vectors: npt.NDArray[np.floating[Any]],
    ann: Any | None,
    *,
    progress: bool,
) -> None:
    """Write the float16 copy and feed the HNSW graph, chunk by chunk."""
    raw = np.lib.format.open_memmap(
        directory / "vectors.npy", mode="w+", dtype=RAW_DTYPE, shape=vectors.shape
    )
    with tqdm(total=len(vectors), unit="vec", desc="vector index", disable=not progress) as bar:
        for start in range(0, len(vectors), BUILD_CHUNK):
            chunk = unit_rows(vectors[start : start + BUILD_CHUNK])
            raw[start : start + len(chunk)] = chunk
            if ann is not None:
                ann.add(chunk)
            bar.update(len(chunk))
    raw.flush()
    del raw


def _append_vectors(
    directory: Path,
    old: npt.NDArray[np.float16],
    vectors: npt.NDArray[np.floating[Any]],
    ann: Any | None,
) -> None:
    """Copy the old float16 rows and append the new ones (also to the HNSW graph)."""
    new = unit_rows(vectors)
    raw = np.lib.format.open_memmap(
        directory / "vectors.npy",
        mode="w+",
        dtype=RAW_DTYPE,
        shape=(len(old) + len(new), old.shape[1]),
    )
    for start in range(0, len(old), BUILD_CHUNK):
        end = min(start + BUILD_CHUNK, len(old))
        raw[start:end] = old[start:end]
    raw[len(old) :] = new
    raw.flush()
    del raw
    if ann is not None:
        ann.add(new)


def _write_attributes(
    directory: Path,
    *,
    ids: npt.NDArray[np.bytes_],
    days: npt.NDArray[np.int32],
    categories: tuple[list[str], Positions, Positions],
    tombstones: Mask,
    ann: Any,
) -> None:
    """Write everything but the float16 vectors: ids, dates, categories, tombstones, graph."""
    _write_ids(directory, ids)
    np.save(directory / "dates.npy", days)
    _write_postings(directory, *categories)
    np.save(directory / "tombstones.npy", tombstones)
    if ann is not None:
        _faiss().write_index(ann, str(directory / "hnsw.faiss"))


def _counts(directory: Path, tombstones: Mask) -> dict[str, Any]:
    """The metadata naming a generation and counting its vectors."""
    dead = int(tombstones.sum())
    return {
        "generation": directory.name,
        "positions": len(tombstones),
        "tombstones": dead,
        "vectors": len(tombstones) - dead,
    }


def _encode_ids(ids: Collection[str]) -> npt.NDArray[np.bytes_]:
    return np.array([paper_id.encode() for paper_id in ids], dtype=np.bytes_)


def _write_ids(directory: Path, ids: npt.NDArray[np.bytes_]) -> None:
    order = np.argsort(ids, kind="stable").astype(np.int64)
    np.save(directory / "ids.npy", ids)
    np.save(directory / "ids_sorted.npy", ids[order])
    np.save(directory / "ids_order.npy", order)


def _day_number(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _day_numbers(dates: Sequence[date | None]) -> npt.NDArray[np.int32]:
    numbers = [UNKNOWN_DAY if day is None else _day_number(day) for day in dates]
    return np.array(numbers, dtype=np.int32)


def _category_pairs(
    categories: Sequence[Sequence[str]], *, start: int, names: list[str]
) -> tuple[list[str], Positions, Positions]:
    """(names, code, position) pairs for each category of each row, extending ``names``."""
    names = list(names)
    codes_by_name = {name: code for code, name in enumerate(names)}
    codes: list[int] = []
    positions: list[int] = []
    for offset, row in enumerate(categories):
        for name in dict.fromkeys(row):
            if name not in codes_by_name:
                codes_by_name[name] = len(names)
                names.append(name)
            codes.append(codes_by_name[name])
            positions.append(start + offset)
    return names, np.array(codes, dtype=np.int64), np.array(positions, dtype=np.int64)


def _write_postings(
    directory: Path, names: list[str], codes: Positions, positions: Positions
) -> None:
    """Group (code, position) pairs into per-category position lists (CSR)."""
    # A stable sort keeps each category's positions ascending, as they arrive in position order.
    order = np.argsort(codes, kind="stable")
    offsets = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=len(names)), out=offsets[1:])
    (directory / "category_names.json").write_text(json.dumps(names))
    np.save(directory / "category_offsets.npy", offsets)
    np.save(directory / "category_postings.npy", positions[order])


# loading ---------------------------------------------------------------------------------------


def _open_generation(directory: Path, meta: dict[str, Any]) -> _Generation:
    def array(name: str, *, mapped: bool = True) -> Any:
        return np.load(directory / name, mmap_mode="r" if mapped else None, allow_pickle=False)

    vectors = array("vectors.npy")
    if len(vectors) != meta["positions"]:
        raise ValueError(f"{directory} holds {len(vectors)} vectors, its metadata says otherwise")
    tombstones = array("tombstones.npy", mapped=False)
    faiss = _faiss()
    ann, flat = _open_faiss(directory, meta, vectors)
    names = json.loads((directory / "category_names.json").read_text())
    return _Generation(
        meta=meta,
        ids=array("ids.npy"),
        ids_sorted=array("ids_sorted.npy"),
        ids_order=array("ids_order.npy"),
        vectors=vectors,
        dates=array("dates.npy", mapped=False),
        category_codes={name: code for code, name in enumerate(names)},
        category_offsets=array("category_offsets.npy", mapped=False),
        category_postings=array("category_postings.npy", mapped=False),
        tombstones=tombstones,
        ann=ann,
        flat=flat,
        live_selector=(
            faiss.IDSelectorBitmap(np.packbits(~tombstones, bitorder="little"))
            if tombstones.any()
            else None
        ),
    )


def _open_faiss(
    directory: Path, meta: dict[str, Any], vectors: npt.NDArray[np.float16]
) -> tuple[Any, Any]:
    """The HNSW index (None for kind exact) and the flat index that filtered searches scan."""
    faiss = _faiss()
    if meta["kind"] == KIND_HNSW:
        ann = faiss.read_index(str(directory / "hnsw.faiss"))
        return ann, ann.storage
    # Small exact indexes hold float32 copies in memory: faiss scans them faster than numpy
    # converts float16.
    flat = faiss.IndexFlatIP(vectors.shape[1])
    for start in range(0, len(vectors), BUILD_CHUNK):
        flat.add(np.asarray(vectors[start : start + BUILD_CHUNK], dtype=np.float32))
    return None, flat


def _flush_to_disk(directory: Path) -> None:
    """fsync every file of a generation and the directory, so that after a power loss the
    metadata never points at a generation whose files were still in the page cache."""
    for entry in directory.iterdir():
        descriptor = os.open(entry, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    fsync_directory(directory)
    fsync_directory(directory.parent)
