"""Field helpers shared by the readers: limits, dates, author lists, category lists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from papersift.model import Paper, Version
from papersift.text import normalise_for_search

MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 200_000
MAX_AUTHORS = 5_000

_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_PARENTHESISED = re.compile(r"\([^()]*\)")
_AND = re.compile(r"\s+and\s+|\s*(?<!\\)&\s*")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
# A name author_name would return unchanged: single spaces, a letter or digit, no LaTeX.
_PLAIN_NAME = re.compile(r"(?=.*[^\W_])(?!.*(?:--|``|''))[^\s\\{}]+(?: [^\s\\{}]+)*")
_SIZE_NOTE = re.compile(r"\s*\([^)]*\)\s*$")  # "Mon, 2 Apr 2007 19:18:42 GMT   (443kb)"


class RecordError(ValueError):
    """One record is unusable; the message is the reason its ``Malformed`` carries."""


def checked(paper: Paper) -> Paper:
    """Return ``paper`` if it has a title and fits the size limits, else raise ``RecordError``.

    Test-collection documents (BEIR) may lack a title when they have text: many collections have
    untitled documents, and dropping them would change the collection.
    """
    untitled_document = paper.source.startswith("beir:") and bool(paper.abstract)
    if not paper.title and not untitled_document:
        raise RecordError("missing title")
    _check_length("title", paper.title, MAX_TITLE_CHARS)
    _check_length("abstract", paper.abstract, MAX_ABSTRACT_CHARS)
    if len(paper.authors) > MAX_AUTHORS:
        raise RecordError(f"{len(paper.authors)} authors; the limit is {MAX_AUTHORS}")
    return paper


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise RecordError(f"{name} is {len(value)} characters; the limit is {limit}")


def clean_text(value: str | None) -> str:
    """Original text with surrounding whitespace removed (inner line breaks are kept)."""
    return value.strip() if value else ""


def optional_text(value: str | None) -> str | None:
    """Stripped text, or None when there is none."""
    return value.strip() or None if value else None


def author_name(*parts: str | None) -> str | None:
    """A display name from its parts ("Geoffrey E.", "Hinton"); LaTeX accents become Unicode.

    Returns None for names with no letter or digit at all (arXiv has authors like ":").
    """
    name = normalise_for_search(" ".join(part for part in parts if part))
    return name if _LETTER_OR_DIGIT.search(name) else None


def author_names(names: Iterable[str]) -> tuple[str, ...]:
    """Display names from a list of names, as ``author_name`` makes them, nameless ones dropped."""
    result = []
    for name in names:
        if _PLAIN_NAME.fullmatch(name):  # most names: nothing to do, and this is much faster
            result.append(name)
        elif (clean := author_name(name)) is not None:
            result.append(clean)
    return tuple(result)


def split_authors(text: str) -> tuple[str, ...]:
    """Split an arXiv author string ("A. One, B. Two (MIT) and C. Three") into names.

    Parenthesised affiliations are dropped and "Jr." style suffixes stay with their name.
    """
    text = " ".join(text.split())
    while True:  # affiliations may nest: "A (1), B (2) ((1) MIT, (2) CMU)"
        without = _PARENTHESISED.sub(" ", text)
        if without == text:
            break
        text = without
    names: list[str] = []
    for piece in (p for chunk in text.split(",") for p in _AND.split(chunk)):
        piece = piece.strip()
        if piece.casefold() in _NAME_SUFFIXES and names:
            names[-1] = f"{names[-1]} {piece}"
        elif (name := author_name(piece)) is not None:
            names.append(name)
    return tuple(names)


def unique_categories(categories: Iterable[str]) -> tuple[str, ...]:
    """Categories in their given order (primary first), without blanks and repeats."""
    return tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))


def parse_email_date(text: str) -> datetime:
    """Parse "Mon, 2 Apr 2007 19:18:42 GMT" (optionally with a "(443kb)" note) as UTC."""
    try:
        moment = parsedate_to_datetime(_SIZE_NOTE.sub("", text.strip()))
    except (TypeError, ValueError, IndexError, OverflowError) as error:
        raise RecordError(f"bad date {text.strip()!r}") from error
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_iso_date(text: str, field: str) -> date:
    """Parse the date part of "2007-04-02" or "2007-04-02T19:18:42Z"."""
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as error:
        raise RecordError(f"bad {field} date {text.strip()!r}") from error


def parse_iso_datetime(text: str, field: str) -> datetime:
    """Parse "2015-01-21T02:41:55Z" (or with an offset) as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise RecordError(f"bad {field} date {text.strip()!r}") from error
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def version_number(label: str) -> int:
    """The number in a version label such as "v3"."""
    digits = label.strip().removeprefix("v").removeprefix("V")
    if not digits.isdigit() or int(digits) < 1:
        raise RecordError(f"bad version {label.strip()!r}")
    return int(digits)


def dates_from_versions(versions: tuple[Version, ...]) -> tuple[date | None, date | None]:
    """``(submitted, updated)``: the first version's date and, if revised, the latest one's."""
    submitted = versions[0].created.date() if versions and versions[0].created else None
    latest = versions[-1] if len(versions) > 1 else None
    updated = latest.created.date() if latest and latest.created else None
    return submitted, updated
