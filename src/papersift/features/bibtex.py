"""BibTeX entries built from a paper's metadata (arXiv eprint fields, DOI when present)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from papersift.links import find_links
from papersift.model import Paper
from papersift.sources.arxiv_ids import arxiv_abs_url
from papersift.text import normalise_for_search, readable

_SPECIALS = re.compile(r"([&%$#_])")
_DANGLING_BACKSLASH = re.compile(r"\\+(?=[{}]|$)")  # would escape a field's closing brace
_KEY_WORD = re.compile(r"[A-Za-z]+")
_STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards"})


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if ord(c) < 128)


def _escape(text: str) -> str:
    """Field text with BibTeX's special characters escaped and braces balanced."""
    text = _DANGLING_BACKSLASH.sub("", " ".join(text.split()))
    if text.count("{") != text.count("}"):
        text = text.replace("{", "").replace("}", "")
    return _SPECIALS.sub(r"\\\1", text) if "\\" not in text else text


def _family_name(author: str) -> str:
    parts = normalise_for_search(author).split()
    return parts[-1] if parts else "anon"


def citation_key(paper: Paper) -> str:
    """``vaswani2017attention``: first author's family name, year, first significant title word."""
    family = _ascii(_family_name(paper.authors[0])).lower() if paper.authors else "anon"
    family = re.sub(r"[^a-z]", "", family) or "anon"
    day = paper.submitted or paper.display_date
    year = str(day.year) if day else ""
    words = [w.lower() for w in _KEY_WORD.findall(_ascii(normalise_for_search(paper.title)))]
    word = next((w for w in words if w not in _STOP_WORDS), "")
    return f"{family}{year}{word}"


def bibtex(paper: Paper) -> str:
    fields: list[tuple[str, str]] = [
        ("title", "{" + _escape(readable(paper.title)) + "}"),
        ("author", " and ".join(_escape(a) for a in paper.authors) or "Anonymous"),
    ]
    day = paper.submitted or paper.display_date
    if day:
        fields.append(("year", str(day.year)))
        fields.append(("month", day.strftime("%b").lower()))
    if paper.source == "arxiv":
        fields += [
            ("eprint", paper.id),
            ("archivePrefix", "arXiv"),
        ]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
        fields.append(("url", arxiv_abs_url(paper.id)))
    if paper.doi:
        fields.append(("doi", re.sub(r"[{}\s]", "", paper.doi)))
    if paper.journal_ref:
        fields.append(("journal", _escape(paper.journal_ref)))
    repository = next(
        (link.repository for link in find_links(paper.abstract, paper.comments) if link.repository),
        None,
    )
    if repository:
        fields.append(("note", f"Code: \\url{{{repository}}}"))
    entry_type = "article" if paper.journal_ref else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{citation_key(paper)},\n{body}\n}}\n"


def bibtex_many(papers: Iterable[Paper]) -> str:
    """Entries for many papers; repeated keys get a, b, c suffixes so the file stays valid."""
    entries: list[str] = []
    seen: dict[str, int] = {}
    for paper in papers:
        entry = bibtex(paper)
        key = citation_key(paper)
        count = seen.get(key, 0)
        seen[key] = count + 1
        if count:
            suffix = chr(ord("a") + (count - 1) % 26)
            entry = entry.replace(f"{{{key},", f"{{{key}{suffix},", 1)
        entries.append(entry)
    return "\n".join(entries)
