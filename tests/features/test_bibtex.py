from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from papersift.features.bibtex import bibtex, bibtex_many, citation_key
from tests.conftest import make_paper


def test_arxiv_entry_has_eprint_fields_and_doi() -> None:
    paper = make_paper(
        "1706.03762",
        title="Attention Is All You Need",
        authors=("Ashish Vaswani", "Noam Shazeer"),
        categories=("cs.CL", "cs.LG"),
        submitted=date(2017, 6, 12),
        doi="10.5555/3295222.3295349",
    )
    entry = bibtex(paper)
    assert entry.startswith("@misc{vaswani2017attention,\n")
    assert "  title = {{Attention Is All You Need}}," in entry
    assert "  author = {Ashish Vaswani and Noam Shazeer}," in entry
    assert "  eprint = {1706.03762}," in entry
    assert "  archivePrefix = {arXiv}," in entry
    assert "  primaryClass = {cs.CL}," in entry
    assert "  doi = {10.5555/3295222.3295349}" in entry
    assert entry.rstrip().endswith("}")


def test_journal_reference_makes_an_article_and_specials_are_escaped() -> None:
    paper = make_paper(
        title="Profit & Loss: 100% of $x_1$",
        journal_ref="Phys. Rev. D 12 & 13",
        submitted=date(2020, 1, 2),
    )
    entry = bibtex(paper)
    assert entry.startswith("@article{")
    assert r"journal = {Phys. Rev. D 12 \& 13}" in entry


def test_latex_accents_in_names_give_an_ascii_key() -> None:
    paper = make_paper(authors=('Kurt G\\"odel',), title="On undecidable things")
    assert citation_key(paper).startswith("godel")


def test_repeated_keys_get_suffixes() -> None:
    papers = [make_paper("2501.00001", title="Same"), make_paper("2501.00002", title="Same")]
    text = bibtex_many(papers)
    keys = [line.split("{", 1)[1].rstrip(",") for line in text.splitlines() if line.startswith("@")]
    assert len(keys) == 2 and len(set(keys)) == 2


@given(st.text(max_size=200), st.lists(st.text(max_size=40), max_size=5))
def test_any_text_gives_balanced_braces(title: str, authors: list[str]) -> None:
    entry = bibtex(make_paper(title=title or "x", authors=tuple(authors)))
    depth = 0
    for i, char in enumerate(entry):
        if char == "{" and entry[i - 1 : i] != "\\":
            depth += 1
        elif char == "}" and entry[i - 1 : i] != "\\":
            depth -= 1
        assert depth >= 0
    assert depth == 0


def test_maths_in_titles_keeps_its_braces() -> None:
    entry = bibtex(make_paper(title=r"A $\frac{1}{2}$-approximation for Schr\"odinger"))
    assert r"title = {{A $\frac{1}{2}$-approximation for Schrödinger}}" in entry
