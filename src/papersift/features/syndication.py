"""RSS 2.0 and Atom feeds of papers, generated with feedgen."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Literal

from feedgen.feed import FeedGenerator

from papersift.model import Paper
from papersift.text import readable

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
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
    generator = FeedGenerator()
    generator.id(feed_url)
    generator.title(title)
    generator.subtitle(description)
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
        entry.title(_text(paper.title))
        entry.link(href=link)
        entry.summary(_text(paper.abstract) or "(no abstract)")
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
    return _CONTROL.sub("", readable(value))
