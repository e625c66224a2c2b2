"""Query terms marked in titles and abstract snippets, as HTML-escaped text with ``<mark>``.

Matching is by word prefix on a crude stem of each query word (``networks`` marks ``network`` and
``networked``), case- and accent-insensitive enough for highlighting; ranking is the index's job.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from markupsafe import Markup

from papersift.text import cut_outside_math, math_spans, normalise_for_search

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


@lru_cache(maxsize=1024)
def _query_pattern(query: str) -> re.Pattern[str] | None:
    return _pattern(query_terms(query))


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped for HTML, with the query's terms wrapped in ``<mark>`` (never inside
    maths, which KaTeX must see whole)."""
    pattern = _query_pattern(query)
    if pattern is None:
        return Markup(html.escape(text))
    maths = math_spans(text) if "$" in text or "\\" in text else []
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if maths and any(low < end and start < high for low, high in maths):
            continue
        parts.append(html.escape(text[position:start]))
        parts.append(f"<mark>{html.escape(match.group(0))}</mark>")
        position = end
    parts.append(html.escape(text[position:]))
    return Markup("".join(parts))


def _densest_window(starts: list[int], length: int) -> int:
    """The match position that begins the ``length`` window holding the most matches."""
    best, best_count, last = starts[0], 0, 0
    for first, start in enumerate(starts):
        while last < len(starts) and starts[last] < start + length:
            last += 1
        if last - first > best_count:
            best, best_count = start, last - first
    return best


def snippet(text: str, query: str, *, length: int = 320) -> Markup:
    """The ``length``-character window of ``text`` with the most query terms, highlighted."""
    text = " ".join(text.split())
    if len(text) <= length:
        return highlight(text, query)
    pattern = _query_pattern(query)
    starts = [m.start() for m in pattern.finditer(text)] if pattern else []
    best = 0
    if starts:
        best = max(0, _densest_window(starts, length) - length // 5)
        best = text.rfind(" ", 0, best) + 1 if best else 0
    best = cut_outside_math(text, best)
    end = best + length
    if end < len(text):
        end = text.rfind(" ", best, end) if text.rfind(" ", best, end) > best else end
        end = cut_outside_math(text, end)
    window = text[best:end]
    prefix = "… " if best else ""
    suffix = " …" if end < len(text) else ""
    return Markup(prefix) + highlight(window, query) + Markup(suffix)
