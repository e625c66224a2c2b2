"""Known items: a query that is a paper's id, in any spelling, finds that paper first in every
mode; engine.paper, and so the CLI's show and similar, accept every spelling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from papersift.cli import main
from papersift.engine import Engine, ModeChoice
from papersift.errors import PaperNotFoundError
from papersift.filters import Filters
from papersift.retrieval.base import Hit
from papersift.retrieval.known_item import (
    SearchTitles,
    allowed_edits,
    known_first,
    known_item,
    named_id,
    passes,
    put_first,
    title_distance,
    title_words,
)
from tests.conftest import make_paper, write_jsonl

CORPUS = [
    make_paper(
        "2504.21650",
        title="Sparse attention for long documents",
        abstract="Attention over long documents with sparse patterns.",
        authors=("Ada Lovelace", "Kaiming He"),
        categories=("cs.CL",),
        listed=date(2025, 5, 1),
    ),
    make_paper(
        "2504.00002",
        title="Convolutional networks for images",
        abstract="Convolutions. The number 2504 and 21650 appear in this abstract: 2504.21650.",
        categories=("cs.CV",),
        listed=date(2025, 4, 2),
    ),
    make_paper(
        "hep-th/9901001",
        title="Branes in old-style identifiers",
        abstract="Branes.",
        categories=("hep-th",),
        listed=date(1999, 1, 4),
    ),
    make_paper("seed-fde0b046e9", title="A seed paper on attention", source="seed"),
]
SPELLINGS = [
    "2504.21650",
    "2504.21650v1",
    "arXiv:2504.21650",
    "arxiv:2504.21650v3",
    "https://arxiv.org/abs/2504.21650v2",
    "http://arxiv.org/pdf/2504.21650v1.pdf",
    "https://arxiv.org/pdf/2504.21650",
    "https://www.arxiv.org/html/2504.21650v2/",
    "arxiv.org/abs/2504.21650?context=cs",
    "https://doi.org/10.48550/arXiv.2504.21650",
    "  arXiv:2504.21650v1 [cs.CL]\n",
    "\t2504.21650v2 ",
]


@pytest.fixture
def indexed(engine: Engine, tmp_path: Path) -> Engine:
    engine.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    return engine


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_engine_paper_accepts_every_spelling(indexed: Engine, spelling: str) -> None:
    assert indexed.paper(spelling).id == "2504.21650"


def test_engine_paper_old_style_and_stored_ids(indexed: Engine) -> None:
    for spelling in [
        "hep-th/9901001v2",
        "arXiv:hep-th/9901001",
        "https://arxiv.org/abs/hep-th/9901001",
    ]:
        assert indexed.paper(spelling).id == "hep-th/9901001"
    assert indexed.paper("seed-fde0b046e9").id == "seed-fde0b046e9"
    for missing in ["2504.99999", "arXiv:2504.99999v2", "not an id", "x" * 10_000]:
        with pytest.raises(PaperNotFoundError):
            indexed.paper(missing)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_id_query_finds_its_paper_first(indexed: Engine, spelling: str) -> None:
    results = indexed.search(spelling, k=10)
    assert results[0].paper.id == "2504.21650"
    ids = [r.paper.id for r in results]
    assert len(ids) == len(set(ids))  # the normal results follow, without it


def test_the_known_item_comes_before_word_matches_and_k_holds(indexed: Engine) -> None:
    hits = indexed.search_hits("2504.21650", k=1)
    assert [h.paper_id for h in hits] == ["2504.21650"]
    hits = indexed.search_hits("2504.21650", k=5)
    assert hits[0].paper_id == "2504.21650" and "2504.00002" in {h.paper_id for h in hits}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert indexed.search_hits("2504.21650", k=0) == []


def test_stored_ids_that_are_not_arxiv_ids_are_known_items_too(indexed: Engine) -> None:
    assert indexed.search_hits(" seed-fde0b046e9 ")[0].paper_id == "seed-fde0b046e9"
    assert indexed.search_hits("arXiv:hep-th/9901001v1")[0].paper_id == "hep-th/9901001"


def test_the_known_item_respects_the_filters(indexed: Engine) -> None:
    cs_cv = Filters(categories=("cs.CV",))
    assert "2504.21650" not in {
        h.paper_id for h in indexed.search_hits("2504.21650", filters=cs_cv)
    }
    cs_cl = Filters(categories=("cs.CL",), author="kaiming he")
    assert indexed.search_hits("arXiv:2504.21650", filters=cs_cl)[0].paper_id == "2504.21650"
    later = Filters(since=date(2025, 6, 1))
    assert indexed.search_hits("2504.21650", filters=later) == []


def test_unknown_ids_and_plain_queries_are_left_alone(indexed: Engine) -> None:
    assert indexed.search_hits("arXiv:2504.99999") == indexed.bm25.search("arXiv:2504.99999", 10)
    assert indexed.search_hits("attention", k=3) == indexed.bm25.search("attention", 3)


class FixedRetriever:
    """A stand-in for a semantic retriever: always the same ranking."""

    def __init__(self, name: str) -> None:
        self.name = name

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return [Hit("2504.00002", 0.9), Hit("hep-th/9901001", 0.5), Hit("2504.21650", 0.1)][:k]


@pytest.mark.parametrize("mode", ["dense", "hybrid", "dsi", "hybrid-dsi"])
def test_every_mode_puts_the_known_item_first(
    indexed: Engine, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(indexed._retrievers, mode, FixedRetriever(mode))
    monkeypatch.setattr(indexed, "choose_mode", lambda requested=None: ModeChoice(mode))
    hits = indexed.search_hits("https://arxiv.org/abs/2504.21650v2", k=3, mode=mode)
    assert [h.paper_id for h in hits] == ["2504.21650", "2504.00002", "hep-th/9901001"]
    assert hits[0].score == 0.9
    plain = indexed.search_hits("anything", k=3, mode=mode)
    assert [h.paper_id for h in plain] == ["2504.00002", "hep-th/9901001", "2504.21650"]


def test_helpers() -> None:
    assert named_id(" arXiv:2504.21650v2 ") == "2504.21650"
    assert named_id("seed-1") == "seed-1"
    assert named_id("two words") is None and named_id("") is None and named_id("x" * 65) is None
    hits = [Hit("a", 3.0), Hit("b", 2.0)]
    assert put_first(hits, "b", 2) == [Hit("b", 3.0), Hit("a", 3.0)]
    assert put_first([], "c", 5) == [Hit("c", 1.0)]
    paper = CORPUS[0]
    assert passes(paper, None) and passes(paper, Filters(author="Lovelace"))
    assert not passes(paper, Filters(author="Ada He"))  # words of one name, in order
    assert not passes(paper, Filters(until=date(2025, 4, 30)))
    undated = make_paper("x", listed=None)
    assert not passes(undated, Filters(since=date(2025, 1, 1)))
    assert known_item("arXiv:2504.21650", {"2504.21650": paper}.get) == "2504.21650"
    assert known_item("arXiv:2504.21650", {}.get) is None


# the CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")
    data_dir = tmp_path / "cli-data"

    def invoke(*args: str, expect: int = 0):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])
        assert result.exit_code == expect, result.output
        return result

    invoke("ingest", str(write_jsonl(tmp_path / "cli.jsonl", CORPUS)))
    return invoke


@pytest.mark.parametrize(
    "spelling", ["2504.21650v1", "arXiv:2504.21650", "https://arxiv.org/abs/2504.21650v2"]
)
def test_cli_show_similar_and_search_accept_every_spelling(run, spelling: str) -> None:  # type: ignore[no-untyped-def]
    assert "Sparse attention for long documents" in run("show", spelling).output
    similar = run("similar", spelling, "--json").output
    assert similar.strip() and '"2504.21650"' not in similar
    searched = run("search", spelling, "--json").output.splitlines()
    assert '"2504.21650"' in searched[0]
    run("show", "arXiv:2504.99999", expect=1)
    assert "not in this library" not in run("search", spelling).stderr


def test_cli_search_says_when_an_arxiv_id_is_not_stored(run) -> None:  # type: ignore[no-untyped-def]
    searched = run("search", "https://arxiv.org/abs/2612.99999v1")
    notice = "note: arXiv:2612.99999 is not in this library; the results match its words."
    assert notice in searched.stderr.splitlines() and notice not in searched.stdout


# titles ----------------------------------------------------------------------------------------

TITLED = [
    make_paper(
        "2505.00001",
        title="Open Data Synthesis for Deep Research",
        abstract="Synthetic tasks train research agents.",
        categories=("cs.CL",),
    ),
    make_paper(
        "2505.00002",
        title="Deep research agents: open problems",
        abstract="Open data, deep research, data synthesis, open research data for deep agents.",
        categories=("cs.AI",),
    ),
    make_paper(
        "2505.00003",
        title="Benchmarking World-Model Learning",
        abstract="World models learned by agents, benchmarked.",
        categories=("cs.LG",),
    ),
    make_paper(
        "2505.00004",
        title="Learning world models for benchmarking",
        abstract="Benchmarking world model learning, world model learning benchmarks.",
        authors=("Charlotte Model",),
        categories=("cs.LG",),
    ),
]


@pytest.fixture
def titled_engine(engine: Engine, tmp_path: Path) -> Engine:
    engine.ingest([write_jsonl(tmp_path / "titled.jsonl", CORPUS + TITLED)])
    return engine


@pytest.mark.parametrize(
    ("query", "paper_id"),
    [
        ("Open Data Synthesis for Deep Research", "2505.00001"),
        ("open data synthesis for deep research", "2505.00001"),
        ("Open Data Synthesis Deep Research", "2505.00001"),  # a word dropped
        ("Open Data Synthesis for Deep Research!", "2505.00001"),
        ("Open Data Generation for Deep Research", "2505.00001"),  # a word changed
        ("Benchmarking World Model Learning", "2505.00003"),
        ("benchmarking worldmodel learning", "2505.00003"),
        ("Sparse attention for long documents", "2504.21650"),
    ],
)
def test_a_title_query_finds_its_paper_first(
    titled_engine: Engine, query: str, paper_id: str
) -> None:
    assert titled_engine.search_hits(query, k=10)[0].paper_id == paper_id


def test_a_title_is_found_first_in_every_mode(
    titled_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Elsewhere:  # a semantic ranking that misses the title: the keyword top holds it
        name = "dense"

        def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
            return [Hit("2504.00002", 0.8), Hit("2505.00002", 0.7)][:k]

    monkeypatch.setitem(titled_engine._retrievers, "dense", Elsewhere())
    monkeypatch.setattr(titled_engine, "choose_mode", lambda requested=None: ModeChoice("dense"))
    hits = titled_engine.search_hits("open data synthesis for deep research", k=3, mode="dense")
    assert [h.paper_id for h in hits] == ["2505.00001", "2504.00002", "2505.00002"]


def test_partial_titles_syntax_and_filters_are_not_title_matches(titled_engine: Engine) -> None:
    # Three words of a six-word title are a topic, not the title: the keyword ranking stands.
    hits = titled_engine.search_hits("Open Data Synthesis", k=5)
    assert [h.paper_id for h in hits] == [
        h.paper_id for h in titled_engine.bm25.search("Open Data Synthesis", 5)
    ]
    cs_ai = Filters(categories=("cs.AI",))
    filtered = titled_engine.search_hits("Open Data Synthesis for Deep Research", filters=cs_ai)
    assert "2505.00001" not in {h.paper_id for h in filtered}


def test_title_distance() -> None:
    words = title_words
    title = words("Open Data Synthesis for Deep Research")
    assert title == ["open", "data", "synthesis", "for", "deep", "research"]
    assert title_distance(title, title) == 0
    assert title_distance(words("open data synthesis deep research"), title) == 1
    assert title_distance(words("open data deep research"), title) is None  # two of six words
    assert (
        title_distance(
            words("benchmarking worldmodel learning"), words("Benchmarking World-Model Learning")
        )
        == 0
    )
    assert title_distance(words("graph attention"), words("Graph attention networks")) is None
    assert title_distance(words("Graph attention networks"), words("Graph attention networks")) == 0
    long = words("one two three four five six seven eight nine")
    assert title_distance(words("one two three four five six seven eight"), long) == 1
    assert title_distance(words("one two four five six seven nine ten"), long) is None
    assert [allowed_edits(n) for n in (1, 3, 4, 7, 8, 20)] == [0, 0, 1, 1, 2, 2]
    assert words(r"Schr\"odinger bridges: {BERT}") == ["schrodinger", "bridges", "bert"]


def test_a_fused_ranking_has_its_titles_compared_only_without_keyword_hits() -> None:
    titles = {"k1": "Sparse attention for long documents", "f1": "Graph networks at scale"}
    asked: list[list[str]] = []

    def title_words_of(ids: Sequence[str]) -> dict[str, list[str]]:
        asked.append(list(ids))
        return {pid: title_words(titles[pid]) for pid in ids if pid in titles}

    fused = [Hit("x", 3.0), Hit("f1", 2.0), Hit("k1", 1.0)]
    keyword = [Hit("k1", 5.0)]

    def first(query: str, keyword_run: list[Hit]) -> str:
        hits = known_first(
            query,
            fused,
            3,
            None,
            fetch_many=lambda ids: {},
            title_words_of=title_words_of,
            keyword_top=lambda n: keyword_run[:n],
            fused_from_keyword=True,
        )
        return hits[0].paper_id

    # The keyword ranking is fused in: its titles alone are read.
    assert first("sparse attention for long documents", keyword) == "k1"
    assert first("graph networks at scale", keyword) == "x"  # f1's title is not compared
    assert asked == [["k1"], ["k1"]]
    # With no keyword hits (a title of function words), the fused ranking's titles are read.
    asked.clear()
    assert first("Graph networks at scale", []) == "f1" and asked == [["x", "f1", "k1"]]


def test_a_search_reads_each_title_once() -> None:
    asked: list[list[str]] = []

    def titles_of(ids: Sequence[str]) -> dict[str, str]:
        asked.append(list(ids))
        return {pid: f"The Title of {pid.upper()}" for pid in ids if pid != "gone"}

    titles = SearchTitles(titles_of)
    titles.read_ahead([Hit(pid, 1.0) for pid in ["a", "b", "gone"]])
    assert titles(["b", "c", "gone", "a"]) == {
        "b": ["the", "title", "of", "b"],
        "c": ["the", "title", "of", "c"],
        "a": ["the", "title", "of", "a"],
    }
    assert asked == [["a", "b", "gone"], ["c"]]  # a paper not stored is not asked for again


def test_a_vote_on_any_spelling_of_an_id_counts_for_the_paper(indexed: Engine) -> None:
    user = indexed.accounts.sign_up("ada@example.org", "a long passphrase", "Ada")
    assert indexed.vote(user, "https://arxiv.org/abs/2504.21650v2", True) == 1
    assert indexed.votes.counts(["2504.21650"]) == {"2504.21650": 1}
    with pytest.raises(PaperNotFoundError):
        indexed.vote(user, "arXiv:2504.99999", True)
