"""Markdown written by readers (comments, notes) as safe HTML.

markdown-it-py renders CommonMark with raw HTML switched off (``<script>`` stays text) and its
link validation refusing ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` addresses
(except images); nh3 (the Rust ``ammonia`` sanitiser) then keeps only an allow-list of tags and
attributes and of URL schemes, and marks every link ``nofollow ugc noopener``. Images are not
allowed at all: a reader's comment cannot load anything into another reader's page.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h3", "h4", "hr", "li", "ol", "p", "pre",
        "strong", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render_markdown(text: str) -> Markup:
    """``text`` (Markdown) as HTML that is safe to put in a page."""
    html = _RENDERER.render(text)
    return Markup(
        nh3.clean(
            html,
            tags=set(ALLOWED_TAGS),
            attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(ALLOWED_SCHEMES),
            link_rel="nofollow ugc noopener",
            strip_comments=True,
        )
    )
