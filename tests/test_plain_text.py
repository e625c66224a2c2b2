"""Plain text: LaTeX and maths made readable where no markup is read (titles, feeds, emails),
and feeds that never carry markup from an abstract."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from papersift.features.syndication import render_feed
from papersift.text import plain_text
from tests.conftest import make_paper


def test_maths_becomes_readable_text() -> None:
    assert plain_text(r"Di$\mathtt{[M]}$O: a $\alpha$-test") == "Di[M]O: a α-test"
    assert plain_text(r"$O(n\log n)$ and $x^2$, $\frac{a}{b}$") == "O(n log n) and x², a/b"
    assert plain_text(r"$\leq 10$ \'{e}t\'{e} --- $\sqrt{2}$") == "≤ 10 été — √2"
    assert plain_text("no maths here") == "no maths here"


@given(st.text(max_size=200))
def test_plain_text_is_one_tidy_line_without_dollars_from_maths(text: str) -> None:
    result = plain_text(text)
    assert "\n" not in result and "  " not in result and result == result.strip()


def feed(kind: str, **fields: str) -> bytes:
    paper = make_paper(**fields)
    return render_feed(
        [paper],
        title="papersift: <b>new</b>",
        description="Papers",
        page_url="https://papers.example/feed",
        feed_url="https://papers.example/feeds/daily.rss",
        paper_url="https://papers.example/papers/{id}",
        kind=kind,  # type: ignore[arg-type]
        updated=datetime(2026, 3, 12, tzinfo=UTC),
    )


def test_an_rss_item_carries_no_markup_from_the_abstract() -> None:
    body = feed(
        "rss",
        title=r"Di$\mathtt{[M]}$O <script>alert(1)</script>",
        abstract="Good results. <img src=x onerror=alert(1)> <a href=//evil>x</a>",
    )
    item = etree.fromstring(body).xpath("//item")[0]
    description, title = item.findtext("description"), item.findtext("title")
    for text in (description, title):  # what a reader takes as HTML
        fragment = lxml.html.fragment_fromstring(text, create_parent="div")
        assert fragment.xpath("//img|//a|//script") == []
        assert "<img" not in text and "<script" not in text
    assert lxml.html.fragment_fromstring(description, create_parent="div").text_content() == (
        "Good results. <img src=x onerror=alert(1)> <a href=//evil>x</a>"
    )
    assert title.startswith("Di[M]O")
    channel = etree.fromstring(body).findtext("channel/title")
    assert "<b>" not in channel


def test_an_atom_entry_is_text() -> None:
    body = feed("atom", abstract="Good <img src=x onerror=alert(1)>")
    root = etree.fromstring(body)
    summary = root.xpath("//a:entry/a:summary", namespaces={"a": "http://www.w3.org/2005/Atom"})
    assert summary[0].get("type") in (None, "text")  # Atom text: shown as written
    assert summary[0].text == "Good <img src=x onerror=alert(1)>"
