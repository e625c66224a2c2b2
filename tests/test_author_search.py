"""Author search: a query naming an author ("LeCun", "Y. LeCun", "Yann LeCun") puts that
author's papers first in every mode, and the engine says which authors a query names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from papersift.engine import Engine, ModeChoice
from papersift.filters import Filters
from papersift.retrieval.authors import Author, authors_first, matches, name_words, named_authors
from papersift.retrieval.base import Hit
from tests.conftest import make_paper, write_jsonl

LECUN = ("2501.00003", "2501.00002", "2501.00001")
CORPUS = [
    make_paper(
        "2501.00001",
        title="Convolutional networks revisited",
        abstract="We revisit convolutions for vision.",
        authors=("Yann LeCun", "Ada Lovelace"),
        categories=("cs.CV",),
        listed=date(2025, 1, 3),
    ),
    make_paper(
        "2501.00002",
        title="Energy based models",
        abstract="Energy based learning.",
        authors=("Y. LeCun",),
        categories=("cs.LG",),
        listed=date(2025, 1, 4),
    ),
    make_paper(
        "2501.00003",
        title="Self-supervised learning of world models",
        abstract="Joint embedding predictive architectures.",
        authors=("Grace Hopper", "Yann A. LeCun"),
        categories=("cs.LG",),
        listed=date(2025, 1, 5),
    ),
    # Papers about LeCun's work that he did not write: their words match the query.
    make_paper(
        "2501.00004",
        title="On the LeCun initialisation",
        abstract="Yann LeCun proposed this initialisation; LeCun LeCun Yann LeCun.",
        authors=("Alan Turing",),
        categories=("cs.LG",),
        listed=date(2025, 1, 6),
    ),
    make_paper(
        "2501.00005",
        title="Yann LeCun's networks, surveyed",
        abstract="A survey of the networks of Yann LeCun and others.",
        authors=("Kaiming He", "Jian-Wei Zhang"),
        categories=("cs.CV",),
        listed=date(2025, 1, 7),
    ),
    make_paper(
        "2501.00006",
        title="Residual learning",
        abstract="Deep residual networks.",
        authors=("Wei Zhang", "Kaiming He"),
        categories=("cs.CV",),
        listed=date(2025, 1, 8),
    ),
    make_paper(
        "2501.00007",
        title="Graphs",
        abstract="Graph learning.",
        authors=("Yu Zhang",),
        categories=("cs.LG",),
        listed=date(2025, 1, 9),
    ),
]


@pytest.fixture
def indexed(engine: Engine, tmp_path: Path) -> Engine:
    engine.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    return engine


def ids(hits: list[Hit]) -> list[str]:
    return [hit.paper_id for hit in hits]


def test_name_words() -> None:
    assert name_words("Yann LeCun") == ["yann", "lecun"]
    assert name_words(" Y. LeCun ") == ["y", "lecun"]
    assert name_words("LeCun") == ["lecun"]
    assert name_words("Schölkopf") == ["scholkopf"]
    assert name_words("kaiming he") == ["kaiming", "he"]
    for not_a_name in ["lecun", "BERT", "GPT-4", "title:LeCun", "a b c d e", "", "Yann (LeCun)"]:
        assert name_words(not_a_name) is None, not_a_name


def test_matches() -> None:
    yann = ["yann", "lecun"]
    assert matches(["yann", "lecun"], yann) and matches(["lecun"], yann)
    assert matches(["y", "lecun"], yann) and matches(["yann", "lecun"], ["yann", "a", "lecun"])
    assert matches(["yann", "lecun"], ["y", "lecun"]) is False  # whole words name whole words
    assert matches(["y", "lecun"], ["y", "lecun"])
    assert not matches(["wei", "zhang"], ["jian", "wei", "zhang"])
    assert not matches(["lecun"], ["lecun", "smith"]) and not matches(["x", "lecun"], yann)


def test_the_papers_read_for_a_name() -> None:
    # A name of whole words: papers with an author holding them in order, then papers whose
    # authors hold them all (middle initials may stand between); never every paper of the
    # last word, which for "Multimodal Guided GAN" meant reading two thousand papers' authors.
    # A name with initials, or one word: any author of that surname may be meant.
    gan = ("multimodal", "guided", "gan")
    for query, asked in [
        ("Multimodal Guided GAN", [(gan, True), (gan, False)]),
        ("Y. LeCun", [(("y", "lecun"), True), (("lecun",), False)]),
        ("LeCun", [(("lecun",), False)]),
    ]:
        calls: list[tuple[tuple[str, ...], bool]] = []

        def candidates(words: Sequence[str], phrase: bool) -> set[str]:
            calls.append((tuple(words), phrase))  # noqa: B023 - called before the next loop
            return set()

        assert named_authors(query, candidates, lambda ids: {}) == []
        assert calls == asked, query


def test_authors_first_keeps_the_ranking_order_then_adds_the_rest() -> None:
    hits = [Hit("x", 9.0), Hit("b", 5.0), Hit("y", 4.0)]
    lecun = Author("Yann LeCun", ("c", "b"))
    fused = authors_first(hits, [lecun], 4)
    assert ids(fused) == ["b", "c", "x", "y"]
    scores = [hit.score for hit in fused]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4
    assert authors_first(hits, [], 2) == hits[:2] and authors_first(hits, [lecun], 0) == []


YANN = {"2501.00001", "2501.00003"}  # Yann LeCun and Yann A. LeCun: one person


@pytest.mark.parametrize(
    ("query", "theirs"),
    [
        ("Yann LeCun", YANN),
        ("yann lecun", YANN),
        ("LeCun", set(LECUN)),
        ("Y. LeCun", set(LECUN)),
    ],
)
def test_a_name_finds_the_authors_papers_first_in_keyword_search(
    indexed: Engine, query: str, theirs: set[str]
) -> None:
    hits = indexed.search_hits(query, k=5)
    assert set(ids(hits)[: len(theirs)]) == theirs
    named = indexed.authors_named(query)
    assert {pid for author in named for pid in author.paper_ids} == theirs


def test_the_authors_a_name_names(indexed: Engine) -> None:
    # "Yann LeCun" and "Yann A. LeCun" are one person (middle initials aside); "Y. LeCun" may
    # be another, found by "LeCun" and "Y. LeCun" but not by "Yann LeCun".
    whole = indexed.authors_named("Yann LeCun")
    assert [(a.name, a.paper_ids) for a in whole] == [("Yann LeCun", ("2501.00003", "2501.00001"))]
    names = {author.name: author.paper_ids for author in indexed.authors_named("LeCun")}
    assert names.get("Y. LeCun") == ("2501.00002",) and len(names) == 2
    assert whole[0].papers == 2


def test_an_ambiguous_name_names_every_author(indexed: Engine) -> None:
    named = indexed.authors_named("Zhang")
    assert {author.name for author in named} == {"Wei Zhang", "Jian-Wei Zhang", "Yu Zhang"}
    assert [a.name for a in indexed.authors_named("Wei Zhang")] == ["Wei Zhang"]


def test_topics_and_lower_case_single_words_name_no_author(indexed: Engine) -> None:
    for query in ["residual learning", "lecun", "Graphs", "2501.00001", "convolutional networks"]:
        assert indexed.authors_named(query) == [], query
    assert indexed.search_hits("residual learning", k=3) == indexed.bm25.search(
        "residual learning", 3
    )


def test_filters_apply_to_the_authors_papers(indexed: Engine) -> None:
    cs_lg = Filters(categories=("cs.LG",))
    hits = indexed.search_hits("LeCun", k=5, filters=cs_lg)
    assert set(ids(hits)[:2]) == {"2501.00002", "2501.00003"}
    assert "2501.00001" not in ids(hits)
    assert {pid for a in indexed.authors_named("LeCun", cs_lg) for pid in a.paper_ids} == {
        "2501.00002",
        "2501.00003",
    }


class FixedRetriever:
    """A stand-in for a semantic retriever: papers about LeCun, never by him, ranked first."""

    def __init__(self, name: str) -> None:
        self.name = name

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        order = ["2501.00004", "2501.00005", "2501.00006", "2501.00001"]
        return [Hit(pid, 1.0 - n / 10) for n, pid in enumerate(order)][:k]


@pytest.mark.parametrize("mode", ["dense", "hybrid", "dsi", "hybrid-dsi"])
def test_every_mode_puts_the_authors_papers_first(
    indexed: Engine, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(indexed._retrievers, mode, FixedRetriever(mode))
    monkeypatch.setattr(indexed, "choose_mode", lambda requested=None: ModeChoice(mode))
    hits = indexed.search_hits("Yann LeCun", k=4, mode=mode)
    # Ranked ones in the ranking's order, then the rest of theirs; then the others.
    assert ids(hits)[0] == "2501.00001"
    assert set(ids(hits)[:2]) <= {"2501.00001", "2501.00003"}
    assert ids(hits)[2:] == ["2501.00004", "2501.00005"]
