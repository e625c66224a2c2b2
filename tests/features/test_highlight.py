from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papersift.features.highlight import highlight, query_terms, snippet


def test_terms_are_stemmed_and_stop_words_dropped() -> None:
    assert query_terms("the Graph neural networks AND training") == ["graph", "neural", "network",
                                                                      "train"]  # fmt: skip


def test_matches_are_marked_and_text_is_escaped() -> None:
    marked = str(highlight("Graph <b>networks</b> & networked graphs", "graph network"))
    assert marked == (
        "<mark>Graph</mark> &lt;b&gt;<mark>networks</mark>&lt;/b&gt; &amp; "
        "<mark>networked</mark> <mark>graphs</mark>"
    )


def test_snippet_picks_the_window_with_the_matches() -> None:
    text = "filler " * 100 + "the diffusion model samples images " + "filler " * 100
    result = str(snippet(text, "diffusion model", length=120))
    assert "<mark>diffusion</mark> <mark>model</mark>" in result
    assert result.startswith("… ") and result.endswith(" …")
    assert len(result) < 200


@given(st.text(max_size=300), st.text(max_size=50))
def test_highlight_never_leaks_markup(text: str, query: str) -> None:
    result = str(highlight(text, query))
    stripped = result.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_maths_is_never_marked_or_cut() -> None:
    text = r"We get $O(n \log n)$ time and log-linear memory."
    assert str(highlight(text, "log")) == (
        r"We get $O(n \log n)$ time and <mark>log</mark>-linear memory."
    )
    long = "x " * 200 + r"the bound $\sqrt{\log T}$ holds " + "y " * 200
    result = str(snippet(long, "bound", length=60))
    assert result.count("$") in (0, 2)
