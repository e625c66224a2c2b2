"""Web addresses in abstracts as links, with everything else escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from papersift.links import url_spans


def linkify(text: str) -> Markup:
    """``text`` as HTML: escaped, each written-out http(s) address a link that opens elsewhere
    and carries no ranking credit (``ugc``: the text comes from authors and submitters)."""
    pieces: list[str] = []
    position = 0
    for start, end, url in url_spans(text):
        pieces.append(escape(text[position:start]))
        pieces.append(
            Markup('<a href="{}" rel="nofollow ugc noopener" class="abstract-link">{}</a>').format(
                url, text[start:end]
            )
        )
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
