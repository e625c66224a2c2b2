"""BM25 search through the engine on a tiny corpus with pinned expected ids."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersift.engine import Engine
from papersift.errors import IndexError_
from papersift.filters import Filters
from papersift.indexes.keyword import KeywordIndex
from papersift.indexes.pg_state import read_state, write_state
from tests.conftest import make_paper, write_jsonl

CORPUS = [
    make_paper(
        "2501.00001",
        title="Attention is all you need for machine translation",
        abstract="We propose the Transformer, based solely on attention mechanisms.",
        authors=("Ashish Vaswani", "Noam Shazeer"),
        categories=("cs.CL", "cs.LG"),
        listed=date(2025, 1, 2),
    ),
    make_paper(
        "2501.00002",
        title="Deep residual learning for image recognition",
        abstract="Residual networks ease the training of very deep convolutional networks.",
        authors=("Kaiming He", "Jian Sun"),
        categories=("cs.CV",),
        listed=date(2025, 2, 3),
    ),
    make_paper(
        "2501.00003",
        title="Graph attention networks",
        abstract="We present graph attention networks operating on graph-structured data.",
        authors=("Petar Veli\u010dkovi\u0107", "Yoshua Bengio"),
        categories=("stat.ML", "cs.LG"),
        listed=date(2025, 3, 4),
    ),
    make_paper(
        "2501.00004",
        title='Sch\\"odinger bridges for generative modelling',
        abstract='Diffusion models as Schr\\"odinger bridges.\nWe use attention sparingly.',
        authors=("Valentin De Bortoli",),
        categories=("stat.ML",),
        listed=date(2025, 4, 5),
    ),
]


@pytest.fixture
def indexed(engine: Engine, tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    engine.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    return engine


def ids(engine: Engine, query: str, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.paper.id for r in engine.search(query, **kwargs)]


def test_ranks_title_and_abstract_matches(indexed: Engine) -> None:
    assert ids(indexed, "residual networks")[0] == "2501.00002"
    assert ids(indexed, "graph attention")[0] == "2501.00003"
    assert set(ids(indexed, "attention")) == {"2501.00001", "2501.00003", "2501.00004"}


def test_phrase_query(indexed: Engine) -> None:
    assert ids(indexed, '"attention networks"') == ["2501.00003"]


def test_plain_words_score_like_the_query_parser(indexed: Engine) -> None:
    if not isinstance(indexed.keyword_index, KeywordIndex):
        pytest.skip("the file (tantivy) index's two query forms")
    # Plain words take the flat (field, term) disjunction; the parser's nested form must agree.
    keyword = indexed.keyword_index
    index = keyword._open(create=False)
    searcher = index.searcher()
    for query in ["residual networks", "graph attention vaswani", "deep attention models"]:
        parsed = index.parse_query(query, ["title", "abstract", "authors"], keyword.boosts)
        expected = [(round(s, 4), a.doc) for s, a in searcher.search(parsed, 10).hits]
        flat = keyword._text_query(index, query)
        assert [(round(s, 4), a.doc) for s, a in searcher.search(flat, 10).hits] == expected


def test_hyphenated_words_match_each_part(indexed: Engine) -> None:
    # Not a phrase: "graph-attention-translation" finds the translation paper too.
    assert {"2501.00001", "2501.00003"} <= set(ids(indexed, "graph-attention-translation"))
    assert ids(indexed, '"graph-attention-translation"') == []


def test_author_search_and_filter(indexed: Engine) -> None:
    assert ids(indexed, "vaswani") == ["2501.00001"]
    assert ids(indexed, "attention", filters=Filters(author="Yoshua Bengio")) == ["2501.00003"]
    # accents and case are folded on both sides
    assert ids(indexed, "attention", filters=Filters(author="velickovic")) == ["2501.00003"]
    assert ids(indexed, "attention", filters=Filters(author="Kaiming He")) == []


def test_category_and_date_filters(indexed: Engine) -> None:
    assert set(ids(indexed, "attention", filters=Filters(categories=("cs.LG",)))) == {
        "2501.00001",
        "2501.00003",
    }
    assert set(ids(indexed, "attention", filters=Filters(since=date(2025, 3, 1)))) == {
        "2501.00003",
        "2501.00004",
    }
    window = Filters(since=date(2025, 1, 1), until=date(2025, 1, 31))
    assert ids(indexed, "attention", filters=window) == ["2501.00001"]


def test_latex_accents_are_searchable_in_plain_letters(indexed: Engine) -> None:
    assert ids(indexed, "schrodinger bridges")[0] == "2501.00004"


def test_invalid_query_syntax_falls_back_to_words(indexed: Engine) -> None:
    for query in ["attention AND (", 'title:"unclosed', "foo:bar residual", "((("]:
        results = indexed.search(query)
        assert isinstance(results, list)
    assert ids(indexed, "nosuchfield:residual")[0] == "2501.00002"


def test_search_before_indexing_says_so(engine: Engine) -> None:
    with pytest.raises(IndexError_, match="papersift index"):
        engine.search("anything")


def test_index_catches_up_incrementally(indexed: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    newer = make_paper("2501.00002", version=2, title="Completely different words: quokka")
    indexed.ingest([write_jsonl(tmp_path / "v2.jsonl", [newer])], update_index=False)
    assert indexed.pending_index_updates() > 0
    report = indexed.index()
    assert (report.written, report.rebuilt, report.documents) == (1, False, 4)
    assert ids(indexed, "quokka") == ["2501.00002"]
    assert "2501.00002" not in ids(indexed, "residual")


def test_index_rebuilds_after_the_store_is_replaced(indexed: Engine) -> None:
    from papersift.engine import Engine as Fresh

    if isinstance(indexed.keyword_index, KeywordIndex):
        indexed.keyword_index._write_meta("another-store", 99, 4)
    else:
        with indexed.db.begin() as connection:
            meta = read_state(connection, "keyword") or {}
            write_state(connection, "keyword", meta | {"store_id": "another-store"})
    report = Fresh(indexed.settings).index()
    assert report.rebuilt and report.documents == 4


def test_interrupted_index_update_is_completed_by_the_next_run(indexed: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    papers = [make_paper(f"2502.{i:05d}", title=f"zebra {i}") for i in range(30)]
    indexed.ingest([write_jsonl(tmp_path / "more.jsonl", papers)], update_index=False)

    def interrupted():  # type: ignore[no-untyped-def]
        for number, change in enumerate(indexed.papers.changed_since(0)):
            if number == 10:
                raise KeyboardInterrupt
            yield change

    with pytest.raises(KeyboardInterrupt):
        indexed.keyword_index.update(interrupted(), store_id=indexed.papers.store_id())
    indexed.index()
    assert len(indexed.search("zebra", k=100)) == 30
    assert indexed.pending_index_updates() == 0


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=80))
def test_any_query_string_is_accepted(indexed: Engine, query: str) -> None:
    results = indexed.search(query, k=5)
    assert len(results) <= 5


def test_count_stops_at_its_limit(indexed: Engine) -> None:
    keyword = indexed.keyword_index
    assert keyword.count("attention") == 3
    assert keyword.count("attention", at_most=2) == 2
    assert keyword.count("attention", at_most=10) == 3
    assert keyword.count("attention", Filters(categories=("cs.LG",)), at_most=1) == 1


@pytest.mark.parametrize("query", ["attention networks", "residual", '"graph attention"'])
def test_scores_of_given_papers_are_their_search_scores(indexed: Engine, query: str) -> None:
    found = {hit.paper_id: hit.score for hit in indexed.keyword_index.search(query, 10)}
    every = [paper.id for paper in CORPUS] + ["2599.99999"]
    scores = indexed.keyword_index.scores_of(query, every)
    assert set(scores) == set(every)
    for paper_id in every:
        assert scores[paper_id] == pytest.approx(found.get(paper_id, 0.0), rel=1e-5)
    assert indexed.keyword_index.scores_of(query, []) == {}
