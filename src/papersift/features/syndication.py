"""RSS 2.0 and Atom feeds of papers, generated with feedgen.

Every title and description is plain text (``plain_text``: LaTeX and maths made readable), and
nothing from a paper or a user reaches a feed reader as markup: Atom marks its text as text, and
RSS (whose readers take titles and descriptions as HTML) gets it HTML-escaped, so an abstract's
``<img src=x onerror=...>`` shows as those characters, never as an element.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Literal

from feedgen.feed import FeedGenerator

from papersift.model import Paper
from papersift.text import plain_text, strip_control_characters

FeedFormat = Literal["rss", "atom"]
MEDIA_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


def render_feed(
    papers: Sequence[Paper],
    *,
    title: str,
    description: str,
    page_url: str,
    feed_url: str,
    paper_url: str,
    kind: FeedFormat,
    updated: datetime | None = None,
) -> bytes:
    """A feed of ``papers`` (newest entry first as given); ``paper_url`` has a ``{id}`` slot."""

    def text(value: str) -> str:
        plain = _text(value)
        return html.escape(plain, quote=False) if kind == "rss" else plain

    generator = FeedGenerator()
    generator.id(feed_url)
    generator.title(text(title))
    generator.subtitle(text(description))
    # RSS takes the last link as the channel's <link>: the page, not the feed itself.
    generator.link(href=feed_url, rel="self")
    generator.link(href=page_url, rel="alternate")
    generator.language("en")
    generator.generator("papersift")
    generator.author({"name": "papersift"})
    generator.updated(updated or datetime.now(UTC))
    for paper in reversed(papers):  # feedgen prepends entries
        entry = generator.add_entry()
        link = paper_url.format(id=paper.id)
        entry.id(link)
        entry.guid(link, permalink=True)
        entry.title(text(paper.title))
        entry.link(href=link)
        entry.summary(text(paper.abstract) or "(no abstract)")
        for author in paper.authors[:50]:
            entry.author(name=_text(author) or "unknown")
        for category in paper.categories:
            entry.category(term=category)
        day = paper.display_date
        if day is not None:
            moment = datetime.combine(day, time(0, 0), tzinfo=UTC)
            entry.published(moment)
            entry.updated(moment)
    if kind == "atom":
        return bytes(generator.atom_str(pretty=True))
    return bytes(generator.rss_str(pretty=True))


def _text(value: str) -> str:
    """Plain one-line text, without the control characters XML cannot carry."""
    return strip_control_characters(plain_text(value))
