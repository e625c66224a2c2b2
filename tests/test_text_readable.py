from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papersift.text import paragraphs, readable


def test_accents_become_characters_and_maths_is_kept() -> None:
    text = r"Schr\"odinger {BERT} -- a $\frac{a}{b}$, with $O(n \log n)$."
    assert readable(text) == r"Schrödinger BERT – a $\frac{a}{b}$, with $O(n \log n)$."
    assert readable(r"display $$\sum_i x_i$$ and \(y\)") == r"display $$\sum_i x_i$$ and \(y\)"


def test_paragraphs_follow_arxiv_conventions() -> None:
    abstract = "First line\ncontinues here.\n  Second paragraph\nhere.\n\nThird."
    assert paragraphs(abstract) == ["First line continues here.", "Second paragraph here.",
                                    "Third."]  # fmt: skip


@given(st.text(max_size=200))
def test_readable_is_one_tidy_line(text: str) -> None:
    result = readable(text)
    assert "\n" not in result and "  " not in result and result == result.strip()
