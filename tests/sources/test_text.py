from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.text import fold_accents, fold_name, normalise_display, normalise_for_search

LATEX_PIECES = st.sampled_from(
    ["\\", "{", "}", '"', "'", "`", "^", "~", "=", ".", "-", "$", "&", "c", "o", "i", "v", "ss",
     "aa", " ", "\n", "\\i", "\\c", "\\o", "e", "A", "ö", "\u0308", "textbf", "alpha", "\t"]
)  # fmt: skip
LATEXISH = st.lists(LATEX_PIECES, max_size=30).map("".join)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"Schr\"odinger", "Schrödinger"),
        (r"Schr{\"o}dinger", "Schrödinger"),
        (r"Schr\"{o}dinger", "Schrödinger"),
        (r"C. Bal\'azs", "C. Balázs"),
        (r"\`a la \^ome \~nino", "à la ôme ñino"),
        (r"Fran\c{c}ois Ga\v{s}per \u{a} Erd\H{o}s", "François Gašper ă Erdős"),
        (r"\aa{}ngstr\"om \o{} Stra\ss e \ae{} \l{} \'{\i}", "ångström ø Straße æ ł í"),
        (r"S\o ren \AA ke", "Søren Åke"),  # like LaTeX, a letter command eats the spaces after it
        (r"pages 1--2 --- a ``quote''", "pages 1–2 — a “quote”"),
        ("{BERT} and {GPT}-2", "BERT and GPT-2"),
        (r"R\&D 50\% \emph{very} \textbf{bold}", "R&D 50% very bold"),
        ("$\\alpha$-stable", "$\\alpha$-stable"),
        ("multi-\nmodal  models\n\nare   here ", "multi- modal models are here"),
        ("  plain text  ", "plain text"),
        ("", ""),
    ],
)
def test_normalise_for_search_examples(raw: str, expected: str) -> None:
    assert normalise_for_search(raw) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), LATEXISH))
def test_normalise_for_search_never_raises_and_is_idempotent(s: str) -> None:
    once = normalise_for_search(s)
    assert normalise_for_search(once) == once
    assert "\n" not in once
    assert once == once.strip()


def test_normalise_display_keeps_lines_and_latex() -> None:
    assert normalise_display("  a  b\r\nc\t\td $\\alpha$ \r") == "a b\nc d $\\alpha$"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (r"Bj\"{o}rn M\"uller", "Björn Muller"),
        ("Geoffrey  E. Hinton", "geoffrey e. hinton"),
        ("Łukasz Kaiser", "lukasz kaiser"),
        (r"S{\o}ren", "Soren"),
        ("Ａｎｎａ", "anna"),
    ],
)
def test_fold_name_matches_spellings(a: str, b: str) -> None:
    assert fold_name(a) == fold_name(b)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), LATEXISH))
def test_fold_name_never_raises(s: str) -> None:
    folded = fold_name(s)
    assert folded == folded.strip()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=40), LATEXISH, st.text(alphabet=st.characters(max_codepoint=127)))
)
def test_fold_accents_skips_decomposing_plain_ascii_without_changing_the_result(s: str) -> None:
    normal = normalise_for_search(s)
    decomposed = unicodedata.normalize("NFKD", normal)
    assert fold_accents(s) == "".join(c for c in decomposed if not unicodedata.combining(c))
