from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import pytest

from papersift.errors import InvalidInputError
from papersift.features.digest_model import Digest, DigestItem, DigestSection
from papersift.features.email_render import digest_subject, render_digest
from papersift.model import Paper
from tests.conftest import make_paper

SITE = "https://papers.example.org"
UNSUBSCRIBE = f"{SITE}/unsubscribe/v1.7.c2lnbmF0dXJl?x=1&y=2"
MANAGE = f"{SITE}/settings/email"
SENDER = "papersift <digest@papers.example.org>"

ATTENTION = make_paper(
    "1706.03762",
    title="Attention Is All You Need",
    authors=("Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit", "Llion Jones"),
    categories=("cs.CL", "cs.LG"),
    listed=date(2026, 3, 11),
)
SCHRODINGER = make_paper(
    "2603.00002",
    title='Schr\\"odinger Bridges for \\c{c}ats',
    authors=('Kurt G\\"odel',),
    categories=("cs.LG",),
)
OLD_STYLE = make_paper("hep-th/9901001", title="Strings in the Bulk", authors=("Ed Witten",))
SCIFACT = Paper(id="scifact:4983", title="A Claim About Cells", source="scifact")

SECTIONS = (
    DigestSection.of("trending", [DigestItem(ATTENTION, upvotes=12)]),
    DigestSection.of(
        "for_you",
        [
            DigestItem(
                SCHRODINGER,
                reasons=(
                    'Like "Attention Is All You Need" in your library',
                    'Matches your saved search "graph transformers"',
                ),
            )
        ],
    ),
    DigestSection.of(
        "saved_searches",
        [DigestItem(SCIFACT, reasons=('Matches your saved search "cells"',))],
    ),
    DigestSection.of(
        "followed_authors",
        [
            DigestItem(OLD_STYLE, upvotes=1, reasons=("By Ed Witten, whom you follow",)),
            DigestItem(ATTENTION, upvotes=12, reasons=("By Noam Shazeer, whom you follow",)),
        ],
    ),
)


def make_digest(**changes: object) -> Digest:
    values: dict[str, object] = {
        "user_id": 7,
        "email": "ada@example.org",
        "display_name": "Ada Lovelace",
        "day": date(2026, 3, 12),
        "frequency": "daily",
        "sections": SECTIONS,
    }
    values.update(changes)
    return Digest(**values)  # type: ignore[arg-type]


def render(digest: Digest | None = None, **overrides: str) -> EmailMessage:
    arguments = {
        "site_url": SITE + "/",
        "unsubscribe_url": UNSUBSCRIBE,
        "manage_url": MANAGE,
        "sender": SENDER,
        "message_id": "<digest-7-20260312@papers.example.org>",
    }
    arguments.update(overrides)
    return render_digest(
        digest or make_digest(), sent_at=datetime(2026, 3, 12, 6, 30, tzinfo=UTC), **arguments
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return text.get_content(), html.get_content()


def test_multipart_alternative_text_first_html_second() -> None:
    message = render()
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())


def test_headers() -> None:
    message = render()
    assert message["Subject"] == "papersift — 4 papers for you, Thu 12 Mar"
    assert message["From"] == SENDER
    assert message["To"] == "Ada Lovelace <ada@example.org>"
    assert message["Message-ID"] == "<digest-7-20260312@papers.example.org>"
    assert parsedate_to_datetime(message["Date"]) == datetime(2026, 3, 12, 6, 30, tzinfo=UTC)
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe"].startswith("<https://")
    assert message.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    # Survives serialisation unchanged (what a server receives).
    raw = message.as_bytes()
    assert b"\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n" in raw


def test_message_id_gets_angle_brackets_and_must_be_well_formed() -> None:
    assert render(message_id="abc@example.org")["Message-ID"] == "<abc@example.org>"
    with pytest.raises(ValueError):
        render(message_id="no at sign")


def test_one_click_header_only_for_https_unsubscribe_links() -> None:
    message = render(unsubscribe_url="http://127.0.0.1:8000/unsubscribe/t")
    assert message["List-Unsubscribe"] == "<http://127.0.0.1:8000/unsubscribe/t>"
    assert message["List-Unsubscribe-Post"] is None
    with pytest.raises(ValueError):
        render(unsubscribe_url="javascript:alert(1)")


def test_subject_counts_distinct_papers_and_weekly_says_this_week() -> None:
    assert digest_subject(make_digest(frequency="weekly")) == (
        "papersift — 4 papers for you this week"
    )
    one = (DigestSection.of("trending", [DigestItem(ATTENTION)]),)
    assert digest_subject(make_digest(sections=one)) == "papersift — 1 paper for you, Thu 12 Mar"


@pytest.mark.parametrize("part", [0, 1])
def test_every_section_paper_link_and_reason_is_in_both_parts(part: int) -> None:
    body = parts(render())[part]
    for title in ("Trending", "For you", "Your saved searches", "Authors you follow"):
        assert (title.upper() if part == 0 else title) in body
    for text in (
        "Attention Is All You Need",
        "Schrödinger Bridges for çats",  # LaTeX accents resolved
        "Kurt Gödel",
        "Strings in the Bulk",
        "A Claim About Cells",
        "Ashish Vaswani, Noam Shazeer, Niki Parmar et al.",
        "12 upvotes",
        f"{SITE}/papers/1706.03762",
        f"{SITE}/papers/2603.00002",
        f"{SITE}/papers/hep-th/9901001",
        f"{SITE}/papers/scifact:4983",
        "https://arxiv.org/abs/1706.03762",
        "https://arxiv.org/abs/hep-th/9901001",
        "in your library",
        "graph transformers",
        "By Ed Witten, whom you follow",
        "By Noam Shazeer, whom you follow",
        MANAGE,
    ):
        assert text in body, text
    assert "Llion Jones" not in body  # only the first authors
    assert "arxiv.org/abs/scifact" not in body  # no arXiv link for other corpora
    unsubscribe = UNSUBSCRIBE if part == 0 else UNSUBSCRIBE.replace("&", "&amp;")
    assert unsubscribe in body


def test_empty_sections_are_left_out_and_digest_emptiness() -> None:
    sections = (DigestSection.of("trending", []), SECTIONS[1])
    text, html = parts(render(make_digest(sections=sections)))
    assert "TRENDING" not in text and "Trending" not in html
    assert "FOR YOU" in text and "For you" in html
    assert not make_digest(sections=sections).is_empty
    assert make_digest(sections=(DigestSection.of("trending", []),)).is_empty
    assert make_digest(sections=()).is_empty


def test_unknown_section_and_frequency_are_refused() -> None:
    with pytest.raises(ValueError):
        DigestSection.of("spam", [])
    with pytest.raises(ValueError):
        make_digest(frequency="hourly")


HOSTILE = '<script>alert("x")</script><img src="https://evil.example/t.gif"> & \'quoted\''


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def test_html_escapes_hostile_text_and_has_nothing_external() -> None:
    paper = make_paper("2603.00009", title=HOSTILE, authors=(HOSTILE,))
    sections = (DigestSection.of("for_you", [DigestItem(paper, reasons=(HOSTILE,))]),)
    digest = make_digest(display_name=HOSTILE, sections=sections)
    text, html = parts(render(digest))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&amp; &#39;quoted&#39;" in html
    scanner = _Tags()
    scanner.feed(html)
    assert not scanner.tags & {"script", "img", "link", "style", "iframe", "object", "form"}
    for name, value in scanner.attributes:
        assert not name.startswith("on") and name != "src", name
        if name == "href":
            assert value.startswith((SITE, "https://arxiv.org/abs/")), value
    # The plain text shows the text as it is, unescaped.
    assert HOSTILE in text


def test_header_injection_through_the_name_is_impossible() -> None:
    message = render(make_digest(display_name="Eve\r\nBcc: victim@example.org"))
    assert message["Bcc"] is None
    assert "\nBcc:" not in message.as_string()


def test_an_address_that_cannot_be_a_header_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        render(make_digest(email="not an address"))
