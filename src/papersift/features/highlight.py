"""Query terms marked in titles and abstract snippets, as HTML-escaped text with ``<mark>``.

Matching is by word prefix on a crude stem of each query word (``networks`` marks ``network`` and
``networked``), case- and accent-insensitive enough for highlighting; ranking is the index's job.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from papersift.text import normalise_for_search

_WORD = re.compile(r"\w+")
_IGNORED = frozenset(
    {"and", "or", "not", "the", "of", "a", "an", "in", "on", "for", "to", "with", "by", "is"}
)
_SUFFIXES = ("ing", "es", "ed", "s")
MAX_TERMS = 16


def query_terms(query: str) -> list[str]:
    terms: list[str] = []
    for word in _WORD.findall(normalise_for_search(query).lower()):
        if word in _IGNORED or len(word) < 2:
            continue
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped for HTML, with the query's terms wrapped in ``<mark>``."""
    pattern = _pattern(query_terms(query))
    if pattern is None:
        return Markup(escape(text))
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def snippet(text: str, query: str, *, length: int = 320) -> Markup:
    """The ``length``-character window of ``text`` with the most query terms, highlighted."""
    text = " ".join(text.split())
    if len(text) <= length:
        return highlight(text, query)
    pattern = _pattern(query_terms(query))
    starts = [m.start() for m in pattern.finditer(text)] if pattern else []
    best = 0
    if starts:
        best = max(starts, key=lambda s: sum(1 for t in starts if s <= t < s + length))
        best = max(0, best - length // 5)
        best = text.rfind(" ", 0, best) + 1 if best else 0
    end = best + length
    if end < len(text):
        end = text.rfind(" ", best, end) if text.rfind(" ", best, end) > best else end
    window = text[best:end]
    prefix = "… " if best else ""
    suffix = " …" if end < len(text) else ""
    return Markup(escape(prefix)) + highlight(window, query) + Markup(escape(suffix))
