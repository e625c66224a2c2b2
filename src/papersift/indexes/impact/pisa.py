"""The one place that talks to PISA: the compiled module of the ``pyterrier-pisa`` wheel.

That module (``_pisathon``) is private to the wheel, so its version is pinned and every call to
it is here. The wheel's Python package imports pyterrier and pandas, which the accelerator does
not need (they are installed with ``--no-deps``): the extension file is loaded on its own.

The snapshot handed to PISA is a *binary collection* (PISA's uncompressed inverted index): for
each term, in lexicon order, its document ids and, in place of term frequencies, its quantised
impacts. ``Searcher`` opens it with PISA's ``quantized`` scorer, which adds up those impacts.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np

PISA_PACKAGE = "pyterrier-pisa"
PISA_VERSION = "0.4.9"
INSTALL_HINT = f"pip install --no-deps {PISA_PACKAGE}=={PISA_VERSION} tbb==2020.3.254"
ENCODING = "block_simdbp"
BLOCK_SIZE = 64  # postings per block of the block-max scores
ALGORITHM = "maxscore"
_SCORER = "quantized"

_loaded: ModuleType | None = None
_lock = threading.Lock()


class PisaUnavailable(RuntimeError):
    """PISA's compiled module cannot be used here; the message says why and how to install it."""


def module() -> ModuleType:
    """The compiled module, loaded once. Raises ``PisaUnavailable`` when the pinned wheel is not
    installed or its module does not load (a missing ``libtbb.so.2``, another platform)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load()
        return _loaded


def _load() -> ModuleType:
    try:
        version = importlib.metadata.version(PISA_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise PisaUnavailable(f"the keyword accelerator needs PISA: {INSTALL_HINT}") from None
    if version != PISA_VERSION:
        raise PisaUnavailable(
            f"the keyword accelerator is tested with {PISA_PACKAGE} {PISA_VERSION}, "
            f"not {version}: {INSTALL_HINT}"
        )
    spec = importlib.util.find_spec("pyterrier_pisa")  # finds the package without running it
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = [f for folder in folders for f in sorted(Path(folder).glob("_pisathon.*.so"))]
    if not files:
        raise PisaUnavailable(f"{PISA_PACKAGE} has no compiled module here: {INSTALL_HINT}")
    name = "pyterrier_pisa._pisathon"
    loader = importlib.machinery.ExtensionFileLoader(name, str(files[0]))
    extension = importlib.util.spec_from_file_location(name, files[0], loader=loader)
    if extension is None:
        raise PisaUnavailable(f"cannot load {files[0]}")
    try:
        loaded = importlib.util.module_from_spec(extension)
        loader.exec_module(loaded)
    except ImportError as exc:  # e.g. libtbb.so.2 missing
        raise PisaUnavailable(f"PISA's module does not load ({exc}): {INSTALL_HINT}") from exc
    return loaded


def write_lexicon(lines: Path, lexicon: Path) -> None:
    """PISA's binary lexicon (sorted strings, one a line in ``lines``) for lookups by name."""
    module().build_binlex(str(lines), str(lexicon))


def compile_index(directory: Path) -> None:
    """Compress the binary collection in ``directory`` and compute its block-max scores (done
    by PISA when an index is first opened; the files it writes are kept). PISA's own progress
    lines go to ``pisa.log`` there, not to the terminal."""
    with _output_to(directory / "pisa.log"):
        Searcher(directory)


@contextlib.contextmanager
def _output_to(log: Path) -> Iterator[None]:
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log.open("ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for descriptor in saved:
                os.close(descriptor)


class Searcher:
    """Top-k retrieval over a compiled snapshot: each query term has a weight (how many times
    its impacts count), and a paper's score is the sum of its impacts for the query's terms."""

    def __init__(self, directory: Path) -> None:
        pisa = module()
        self._pisa = pisa
        self._context = pisa.RetrievalContext()
        pisa.prepare_index(
            self._context, str(directory), ENCODING, _SCORER, "",
            block_size=BLOCK_SIZE, quantize=0,
        )  # fmt: skip
        self._lock = threading.Lock()

    def top(self, weights: dict[str, float], k: int) -> list[tuple[str, float]]:
        """The ``k`` best (document name, summed impact) pairs, best first, ties in document
        order. Terms missing from the lexicon are ignored."""
        if k <= 0 or not weights:
            return []
        ranks = np.empty(k, dtype=np.int32)
        queries = np.empty(k, dtype=np.int32)
        names = np.empty(k, dtype=object)
        scores = np.empty(k, dtype=np.float32)
        with self._lock:  # the module shares one context; it is fast enough to take turns
            found = self._pisa.retrieve(
                self._context, ALGORITHM, [(0, weights)], k=k, threads=1,
                pretokenised=True, query_weighted=1, result_qidxs=queries,
                result_docnos=names, result_ranks=ranks, result_scores=scores,
            )  # fmt: skip
        return [(str(names[n]), float(scores[n])) for n in range(found)]
