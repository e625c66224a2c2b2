"""Field helpers shared by the readers: limits, dates, author lists, category lists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from papersift.model import EARLIEST_DATE, LATEST_DATE, MAX_VERSION, Paper, Version
from papersift.text import normalise_for_search

MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 200_000
MAX_AUTHORS = 5_000
SHOWN_CHARS = 60  # of a bad value quoted in a reason

_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_AND = re.compile(r"\s+and\s+|\s*(?<!\\)&\s*")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
# A name author_name would return unchanged: single spaces, a letter or digit, no LaTeX.
_PLAIN_NAME = re.compile(r"(?=.*[^\W_])(?!.*(?:--|``|''))[^\s\\{}]+(?: [^\s\\{}]+)*")
_SIZE_NOTE = re.compile(r"\s*\([^)]*\)\s*$")  # "Mon, 2 Apr 2007 19:18:42 GMT   (443kb)"
# "v3", "3", "V03": ASCII digits only (str.isdigit() takes "²", which int() refuses), and few
# enough of them that int() never meets a number it cannot convert.
_VERSION_LABEL = re.compile(r"[vV]?0*([0-9]{1,9})")
# No store takes NUL in text (PostgreSQL refuses it), and lone surrogates cannot be encoded.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RecordError(ValueError):
    """One record is unusable; the message is the reason its ``Malformed`` carries."""


def shown(value: object) -> str:
    """``value`` quoted for a reason, cut to ``SHOWN_CHARS`` (a bad field may be megabytes)."""
    text = value if isinstance(value, str) else repr(value)
    text = text.strip()
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...")


def checked(paper: Paper) -> Paper:
    """Return ``paper`` if the store can take it, else raise ``RecordError`` saying why.

    Every reader passes each paper through here last, so what reaches the store has a title, fits
    the size limits, has version numbers from 1 to ``MAX_VERSION``, dates from
    ``EARLIEST_DATE`` to ``LATEST_DATE`` (timezone-aware ones for versions), and holds no text a
    store refuses (NUL, lone surrogates). Test-collection documents
    (BEIR) may lack a title when they have text: many collections have untitled documents, and
    dropping them would change the collection.
    """
    untitled_document = paper.source.startswith("beir:") and bool(paper.abstract)
    if not paper.title and not untitled_document:
        raise RecordError("missing title")
    _check_length("title", paper.title, MAX_TITLE_CHARS)
    _check_length("abstract", paper.abstract, MAX_ABSTRACT_CHARS)
    if len(paper.authors) > MAX_AUTHORS:
        raise RecordError(f"{len(paper.authors)} authors; the limit is {MAX_AUTHORS}")
    check_version(paper.version, "version")
    for name in ("submitted", "updated", "listed"):
        _check_date(name, getattr(paper, name))
    for version in paper.versions:
        check_version(version.number, "versions: version")
        if version.created is not None:
            if version.created.utcoffset() is None:
                raise RecordError(f"version {version.number} date has no timezone")
            _check_date(f"version {version.number}", version.created.date())
    _check_storable(paper)
    return paper


def _check_date(name: str, value: date | None) -> None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise RecordError(
            f"{name} date {value.isoformat()} is out of range"
            f" ({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})"
        )


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise RecordError(f"{name} is {len(value)} characters; the limit is {limit}")


def _check_storable(paper: Paper) -> None:
    texts = {
        "id": paper.id, "title": paper.title, "abstract": paper.abstract, "doi": paper.doi,
        "journal_ref": paper.journal_ref, "comments": paper.comments, "license": paper.license,
        "source": paper.source,
    }  # fmt: skip
    named = [*texts.items(), *(("authors", a) for a in paper.authors)]
    named += [("categories", c) for c in paper.categories]
    for name, text in named:
        if text and (bad := _UNSTORABLE.search(text)):
            what = "a NUL character" if bad.group() == "\x00" else "a lone surrogate"
            raise RecordError(f"{name} contains {what}")


def check_version(number: object, field: str) -> int:
    """``number`` if it is a whole number from 1 to ``MAX_VERSION``, else ``RecordError``."""
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_VERSION:
        raise RecordError(
            f"{field} must be a whole number from 1 to {MAX_VERSION}, not {shown(number)}"
        )
    return number


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
    text = _without_parentheses(" ".join(text.split()))
    names: list[str] = []
    for piece in (p for chunk in text.split(",") for p in _AND.split(chunk)):
        piece = piece.strip()
        if piece.casefold() in _NAME_SUFFIXES and names:
            names[-1] = f"{names[-1]} {piece}"
        elif (name := author_name(piece)) is not None:
            names.append(name)
    return tuple(names)


def _without_parentheses(text: str) -> str:
    """``text`` with each balanced parenthesised group (nested ones too) replaced by a space.

    Affiliations may nest: "A (1), B (2) ((1) MIT, (2) CMU)". An unbalanced "(" or ")" stays.
    One pass with a stack, so deep nesting costs linear time, not quadratic.
    """
    if "(" not in text:
        return text
    kept: list[str] = []
    opened: list[int] = []  # where in ``kept`` each open "(" is
    for char in text:
        if char == "(":
            opened.append(len(kept))
            kept.append(char)
        elif char == ")" and opened:
            del kept[opened.pop() :]
            kept.append(" ")
        else:
            kept.append(char)
    return "".join(kept)


def unique_categories(categories: Iterable[str]) -> tuple[str, ...]:
    """Categories in their given order (primary first), without blanks and repeats."""
    return tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))


def parse_email_date(text: str) -> datetime:
    """Parse "Mon, 2 Apr 2007 19:18:42 GMT" (optionally with a "(443kb)" note) as UTC.

    A date that is out of datetime's range once in UTC ("Fri, 31 Dec 9999 23:59:59 -0100") is a
    ``RecordError`` like any other bad date.
    """
    try:
        return _in_utc(parsedate_to_datetime(_SIZE_NOTE.sub("", text.strip())))
    except (TypeError, ValueError, IndexError, OverflowError) as error:
        raise RecordError(f"bad date {shown(text)}") from error


def parse_iso_date(text: str, field: str) -> date:
    """Parse the date part of "2007-04-02" or "2007-04-02T19:18:42Z"."""
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as error:
        raise RecordError(f"bad {field} date {shown(text)}") from error


def parse_iso_datetime(text: str, field: str) -> datetime:
    """Parse "2015-01-21T02:41:55Z" (or with an offset) as an aware UTC datetime.

    Without an offset the time is taken as UTC. One out of datetime's range once in UTC
    ("0001-01-01T00:00:00+05:00") is a ``RecordError``.
    """
    try:
        return _in_utc(datetime.fromisoformat(text.strip()))
    except (ValueError, OverflowError) as error:
        raise RecordError(f"bad {field} date {shown(text)}") from error


def _in_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (naive means UTC); raises OverflowError when UTC is out of range."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def version_number(label: str) -> int:
    """The number in a version label such as "v3": ASCII digits, from 1 to ``MAX_VERSION``."""
    match = _VERSION_LABEL.fullmatch(label.strip())
    number = int(match.group(1)) if match else 0
    if not 1 <= number <= MAX_VERSION:
        raise RecordError(f"bad version {shown(label)}")
    return number


def dates_from_versions(versions: tuple[Version, ...]) -> tuple[date | None, date | None]:
    """``(submitted, updated)``: the first version's date and, if revised, the latest one's."""
    submitted = versions[0].created.date() if versions and versions[0].created else None
    latest = versions[-1] if len(versions) > 1 else None
    updated = latest.created.date() if latest and latest.created else None
    return submitted, updated
