"""The keyword accelerator answers plain-word queries as tantivy does, and only while its
snapshot mirrors the keyword index; anything else, and any failure, leaves tantivy answering."""

from __future__ import annotations

import fcntl
import logging
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.filters import Filters
from papersift.indexes.impact import accelerator as accelerator_module
from papersift.indexes.impact import builder, pisa
from papersift.indexes.keyword import KeywordHit, KeywordIndex
from papersift.model import Paper
from papersift.settings import Settings
from tests.conftest import write_jsonl

NAMES = ["Wei Zhang", "Ann Lee", "Jian Li", "Maria Garcia", "Lee Wei", "He Wang", "Ola Nordmann"]
RARE_NAME = ("Kari Nordmann",)  # three papers
WORDS = [f"{stem}{suffix}" for stem in ("graph", "neural", "quantum", "protein", "sparse",
         "robust", "causal", "token", "lattice", "kernel", "fluid", "market", "orbit", "gene",
         "vision", "speech", "policy", "signal", "tensor", "wave") for suffix in
         ("", "s", "ing", "ed", "al", "ity", "ic", "ise", "ness", "ment")]  # fmt: skip


def _paper(rng: random.Random, n: int) -> Paper:
    def text(low: int, high: int) -> str:
        weights = [1 / (rank + 1) for rank in range(len(WORDS))]
        return " ".join(rng.choices(WORDS, weights, k=rng.randint(low, high)))

    return Paper(
        id=f"2501.{n:05d}",
        title=text(3, 12).capitalize(),
        abstract=text(0, 90),
        authors=tuple(rng.sample(NAMES, rng.randint(0, 3))) + RARE_NAME * (n % 400 == 0),
        categories=(rng.choice(["cs.LG", "cs.CL", "q-bio.BM"]),),
        listed=date(2025, 1, 1 + n % 28),
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KeywordIndex, KeywordIndex]]:
    """A keyword index that has seen updates (its statistics count deleted copies), tantivy
    alone and with the accelerator."""
    try:
        pisa.module()
    except pisa.PisaUnavailable as exc:
        pytest.skip(str(exc))
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("impact") / "keyword"
    papers = {n: _paper(rng, n) for n in range(1, 1201)}
    revisions = dict.fromkeys(papers, 1)
    plain = KeywordIndex(path, accelerator="off")
    plain.update(((1, paper) for paper in papers.values()), store_id="store")
    for n in range(1, 1201, 9):  # replaced papers: their old copies stay counted until a merge
        papers[n], revisions[n] = replace(_paper(rng, n + 5000), id=papers[n].id), 2
    plain.update(((2, papers[n]) for n in papers if revisions[n] == 2), store_id="store")
    fast = KeywordIndex(path, accelerator="on")
    store = sorted(((revisions[n], paper) for n, paper in papers.items()), key=lambda r: r[0])
    with pytest.MonkeyPatch.context() as patch:  # many runs, merged a few terms at a time
        patch.setattr(builder, "BATCH_PAPERS", 97)
        patch.setattr(builder, "MERGE_POSTINGS", 2_000)
        assert fast.refresh_accelerator(lambda: iter(store)) is not None
    yield plain, fast


def _assert_same_ranking(
    plain: KeywordIndex, query: str, ours: list[KeywordHit], theirs: list[KeywordHit]
) -> None:
    """Our papers have, by tantivy's exact scores, the very scores of tantivy's top k (only
    papers of equal score may differ: tantivy orders exact ties as it likes), and the scores
    we give them are the exact ones to within the impacts' rounding."""
    exact = plain.scores_of(query, [hit.paper_id for hit in ours])
    assert len(ours) == len(theirs)
    for mine, (paper_id, score) in zip(ours, exact.items(), strict=True):
        assert mine.paper_id == paper_id and abs(mine.score - score) < 2e-3
    ranked = sorted(exact.values(), reverse=True)
    assert all(abs(a - b.score) < 1e-4 for a, b in zip(ranked, theirs, strict=True)), query


def _queries() -> list[str]:
    rng = random.Random(11)
    words = [rng.choice(WORDS) for _ in range(400)]
    queries = [" ".join(words[n : n + 1 + n % 5]) for n in range(0, 390, 3)]
    return [*queries, "Wei Zhang", "Zhang Wei", "Lee Wei graphs", "He Wang", "the graph of a gene"]


def test_plain_queries_rank_as_tantivy_does(built: tuple[KeywordIndex, KeywordIndex]) -> None:
    plain, fast = built
    for query in _queries():
        for k in (1, 10, 50):
            _assert_same_ranking(plain, query, fast.search(query, k), plain.search(query, k))
    index = fast._open(create=False)
    answered = [fast._accelerated(index, query, 10) is not None for query in _queries()]
    assert sum(answered) >= 0.9 * len(answered)  # the rest: exact ties past the candidates


def test_an_author_name_query_merges_the_author_phrase(
    built: tuple[KeywordIndex, KeywordIndex],
) -> None:
    plain, fast = built
    expected = plain.search("Kari Nordmann", 3)
    assert len(expected) == 3
    assert fast._accelerated(fast._open(create=False), "Kari Nordmann", 3) is not None
    _assert_same_ranking(plain, "Kari Nordmann", fast.search("Kari Nordmann", 3), expected)


@pytest.mark.parametrize(
    "query, filters",
    [
        ("graph neural", Filters(categories=("cs.CL",))),
        ("graph neural", Filters(since=date(2025, 1, 10))),
        ("graph neural", Filters(author="Ann Lee")),
        ('"graph neural"', None),
        ("title:protein AND gene", None),
        ("graph -neural", None),
    ],
)
def test_filtered_phrase_and_syntax_queries_are_tantivys(
    built: tuple[KeywordIndex, KeywordIndex], query: str, filters: Filters | None
) -> None:
    plain, fast = built
    assert fast.search(query, 10, filters) == plain.search(query, 10, filters)


def test_a_stale_snapshot_is_never_used(tmp_path: Path) -> None:
    try:
        pisa.module()
    except pisa.PisaUnavailable as exc:
        pytest.skip(str(exc))
    rng = random.Random(3)
    papers = [_paper(rng, n) for n in range(1, 200)]
    index = KeywordIndex(tmp_path / "keyword", accelerator="on")
    index.update(((1, paper) for paper in papers), store_id="store")
    assert index.refresh_accelerator(lambda: ((1, paper) for paper in papers)) is not None
    assert index.accelerator().current() is not None
    newcomer = Paper(id="2502.00001", title="Zymurgy of sparse lattices", abstract="zymurgy")
    index.update([(2, newcomer)], store_id="store")
    # The keyword index moved on: tantivy answers, and finds the new paper.
    assert index.accelerator().current() is None
    assert [hit.paper_id for hit in index.search("zymurgy", 5)] == ["2502.00001"]
    papers.append(newcomer)
    revisions = [(1, paper) for paper in papers[:-1]] + [(2, newcomer)]
    assert index.refresh_accelerator(lambda: iter(revisions)) is not None
    assert index.accelerator().current() is not None
    assert [hit.paper_id for hit in index.search("zymurgy", 5)] == ["2502.00001"]
    # Nothing changed since: no second build in the same run.
    assert index.refresh_accelerator(lambda: iter(revisions)) is None


def test_a_store_that_moved_on_during_the_build_is_not_snapshotted(tmp_path: Path) -> None:
    try:
        pisa.module()
    except pisa.PisaUnavailable as exc:
        pytest.skip(str(exc))
    papers = [_paper(random.Random(5), n) for n in range(1, 50)]
    index = KeywordIndex(tmp_path / "keyword", accelerator="on")
    index.update(((1, paper) for paper in papers), store_id="store")
    later = [(1, paper) for paper in papers[:-1]] + [(2, papers[-1])]  # a revision past the index
    assert index.refresh_accelerator(lambda: iter(later)) is None
    assert index.accelerator().current() is None
    assert not index.accelerator().path.exists()


def test_a_missing_accelerator_leaves_tantivy_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unavailable() -> None:
        raise pisa.PisaUnavailable(f"the keyword accelerator needs PISA: {pisa.INSTALL_HINT}")

    monkeypatch.setattr(pisa, "module", unavailable)
    papers = [_paper(random.Random(1), n) for n in range(1, 80)]
    index = KeywordIndex(tmp_path / "keyword", accelerator="on")
    index.update(((1, paper) for paper in papers), store_id="store")
    with caplog.at_level(logging.WARNING):
        assert index.refresh_accelerator(lambda: ((1, paper) for paper in papers)) is None
    assert pisa.INSTALL_HINT in caplog.text
    alone = KeywordIndex(tmp_path / "keyword", accelerator="off")
    assert index.search("graph neural", 10) == alone.search("graph neural", 10)


def test_a_broken_snapshot_leaves_tantivy_answering(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        pisa.module()
    except pisa.PisaUnavailable as exc:
        pytest.skip(str(exc))
    papers = [_paper(random.Random(2), n) for n in range(1, 80)]
    index = KeywordIndex(tmp_path / "keyword", accelerator="on")
    index.update(((1, paper) for paper in papers), store_id="store")
    assert index.refresh_accelerator(lambda: ((1, paper) for paper in papers)) is not None
    for compiled in index.accelerator().path.glob("quantized.*"):
        compiled.write_bytes(b"")  # damaged on disk
    (index.accelerator().path / "fwd.termlex").unlink()
    fresh = KeywordIndex(tmp_path / "keyword", accelerator="on")
    alone = KeywordIndex(tmp_path / "keyword", accelerator="off")
    with caplog.at_level(logging.WARNING):
        assert fresh.search("graph neural", 10) == alone.search("graph neural", 10)
    assert "cannot open" in caplog.text


def test_off_builds_nothing_and_auto_waits_for_a_large_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = [_paper(random.Random(4), n) for n in range(1, 40)]
    for mode in ("off", "auto"):
        index = KeywordIndex(tmp_path / mode / "keyword", accelerator=mode)
        index.update(((1, paper) for paper in papers), store_id="store")
        assert index.refresh_accelerator(lambda: ((1, paper) for paper in papers)) is None
        assert not index.accelerator().path.exists()
    try:
        pisa.module()
    except pisa.PisaUnavailable:
        return
    monkeypatch.setattr(accelerator_module, "AUTO_MIN_PAPERS", 30)
    index = KeywordIndex(tmp_path / "auto" / "keyword", accelerator="auto")
    assert index.refresh_accelerator(lambda: ((1, paper) for paper in papers)) is not None
    off = KeywordIndex(tmp_path / "auto" / "keyword", accelerator="off")
    assert off.accelerator().current() is None  # a snapshot on disk, but off: tantivy answers


def test_the_engine_builds_it_when_indexing_and_searches_through_it(
    settings: Settings, tmp_path: Path
) -> None:
    try:
        pisa.module()
    except pisa.PisaUnavailable as exc:
        pytest.skip(str(exc))
    rng = random.Random(9)
    papers = [_paper(rng, n) for n in range(1, 300)]
    # The accelerator serves the tantivy index: the file indexes, whichever store holds papers.
    files = {"keyword_accelerator": "on", "index_backend": "files"}
    engine = Engine(settings.model_copy(update=files))
    try:
        engine.ingest([write_jsonl(tmp_path / "papers.jsonl", papers)])
        index = engine.keyword_index
        assert isinstance(index, KeywordIndex)
        assert index.accelerator().current() is not None  # built by `papersift index`
        alone = KeywordIndex(index.path, accelerator="off")
        for query in ("graph neural", "protein folding kernels", "sparse tensor"):
            assert index._accelerated(index._open(create=False), query, 10) is not None
            hits = engine.retriever("bm25").search(query, 10)
            _assert_same_ranking(
                alone, query, [KeywordHit(h.paper_id, h.score) for h in hits],
                alone.search(query, 10),
            )  # fmt: skip
        more = [_paper(rng, n) for n in range(300, 320)]
        engine.ingest([write_jsonl(tmp_path / "more.jsonl", more)])
        assert index.accelerator().current() is not None  # rebuilt after the changes
        alone.refresh()
        assert len(index.search("graph", 400)) == len(alone.search("graph", 400))
    finally:
        engine.close()


def test_one_process_builds_at_a_time(tmp_path: Path) -> None:
    papers = [_paper(random.Random(6), n) for n in range(1, 40)]
    index = KeywordIndex(tmp_path / "keyword", accelerator="on")
    index.update(((1, paper) for paper in papers), store_id="store")
    path = index.accelerator().path
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is building
        assert index.refresh_accelerator(lambda: ((1, paper) for paper in papers)) is None
    assert not path.exists()
