"""Pseudo-queries: the kinds promised, deterministic under a seed, and never a title when titles
are off (the arXiv title -> paper evaluation depends on that)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.indexes.dsi.pseudo_queries import QueryPlan, pseudo_queries, sentences

ABSTRACT = (
    "Graph neural networks learn node representations. We propose spectral graph pooling for "
    "molecule property prediction. Spectral pooling preserves graph structure while reducing "
    "nodes. Experiments on molecule benchmarks show gains over attention pooling."
)


def test_each_document_yields_every_kind_of_query() -> None:
    found = pseudo_queries([("Spectral graph pooling", ABSTRACT), ("Other", "A b c d e.")])
    kinds = {q.kind for q in found if q.doc == 0}
    assert kinds == {"title", "sentence", "key terms", "key phrases", "span"}
    assert any("spectral" in q.text and q.kind == "key terms" for q in found)
    assert any("graph pooling" in q.text for q in found if q.kind == "key phrases")


def test_titles_are_left_out_when_the_plan_says_so() -> None:
    title = "Spectral graph pooling"
    found = pseudo_queries([(title, ABSTRACT)], QueryPlan(use_titles=False))
    assert all(q.kind != "title" and q.text != title for q in found)


def test_the_same_seed_gives_the_same_queries() -> None:
    docs = [("T", ABSTRACT)] * 3
    assert pseudo_queries(docs, seed=3) == pseudo_queries(docs, seed=3)
    spans = {q.text for q in pseudo_queries(docs, seed=3) if q.kind == "span"}
    assert spans != {q.text for q in pseudo_queries(docs, seed=4) if q.kind == "span"}


def test_sentences_split_at_sentence_ends_only() -> None:
    text = "We use e.g. Lasso as in Smith et al. Section 2 here. It works well for us."
    assert sentences(text) == [
        "We use e.g. Lasso as in Smith et al. Section 2 here.",
        "It works well for us.",
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=40), st.text(max_size=300)), min_size=1, max_size=5))
def test_any_text_gives_non_empty_queries_of_known_documents(docs: list[tuple[str, str]]) -> None:
    for query in pseudo_queries(docs):
        assert 0 <= query.doc < len(docs)
        assert query.text.strip()
