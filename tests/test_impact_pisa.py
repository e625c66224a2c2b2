"""The adapter to PISA's compiled module: loading it (and refusing another version), and
top-k retrieval over a binary collection written by hand."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

from papersift.indexes.impact import pisa


def test_a_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(pisa.PisaUnavailable) as raised:
        pisa._load()
    assert pisa.INSTALL_HINT in str(raised.value)
    assert "--no-deps pyterrier-pisa==" in pisa.INSTALL_HINT


def test_another_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.1")
    with pytest.raises(pisa.PisaUnavailable, match=r"0\.0\.1"):
        pisa._load()


def _installed() -> None:
    try:
        pisa.module()
    except pisa.PisaUnavailable as exc:
        pytest.skip(str(exc))


def _write_collection(directory: Path, postings: dict[str, list[tuple[int, int]]]) -> None:
    """A binary collection of three documents x, y, z; impacts in place of frequencies."""
    terms = sorted(postings)
    with (directory / "inv.docs").open("wb") as docs, (directory / "inv.freqs").open("wb") as fs:
        docs.write(np.asarray([1, 3], dtype=np.uint32).tobytes())
        for term in terms:
            ids = [doc for doc, _ in postings[term]]
            impacts = [impact for _, impact in postings[term]]
            docs.write(np.asarray([len(ids), *ids], dtype=np.uint32).tobytes())
            fs.write(np.asarray([len(ids), *impacts], dtype=np.uint32).tobytes())
    (directory / "inv.sizes").write_bytes(np.asarray([3, 1, 1, 1], dtype=np.uint32).tobytes())
    (directory / "fwd.terms").write_text("".join(f"{term}\n" for term in terms))
    (directory / "fwd.documents").write_text("x\ny\nz\n")
    pisa.write_lexicon(directory / "fwd.terms", directory / "fwd.termlex")
    pisa.write_lexicon(directory / "fwd.documents", directory / "fwd.doclex")


def test_top_k_adds_the_impacts_of_the_query_terms(tmp_path: Path) -> None:
    _installed()
    _write_collection(
        tmp_path, {"a": [(0, 5), (2, 1)], "b": [(1, 3)], "c": [(0, 1), (1, 2), (2, 9)]}
    )
    pisa.compile_index(tmp_path)
    searcher = pisa.Searcher(tmp_path)
    assert searcher.top({"a": 1.0, "c": 1.0}, 2) == [("z", 10.0), ("x", 6.0)]
    # A weight of 2 counts a term twice (a word typed twice); ties go in document order.
    assert searcher.top({"a": 2.0, "c": 1.0}, 5) == [("x", 11.0), ("z", 11.0), ("y", 2.0)]
    assert searcher.top({"unknown": 1.0, "b": 1.0}, 5) == [("y", 3.0)]
    assert searcher.top({"unknown": 1.0}, 5) == []
    assert searcher.top({"a": 1.0}, 0) == []
