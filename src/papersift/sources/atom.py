"""arXiv API responses (Atom feeds) as paper records.

Each ``<entry>`` names the paper's latest version in its ``<id>`` URL; ``<published>`` is the
first version's date and ``<updated>`` the latest version's, so ``updated`` is set only when the
entry is a revision (version > 1). The API reports errors as an entry whose id is an
``http://arxiv.org/api/errors`` URL; those become ``Malformed`` with the error's summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lxml import etree

from papersift.errors import InvalidIdError
from papersift.model import Paper, Version
from papersift.sources import Malformed, Record
from papersift.sources._fields import (
    RecordError,
    author_name,
    checked,
    clean_text,
    optional_text,
    parse_iso_datetime,
    unique_categories,
)
from papersift.sources._xml import (
    XMLError,
    child_text,
    children,
    local_name,
    parse_xml,
    read_xml_file,
)
from papersift.sources.arxiv_ids import normalise_arxiv_id

_API_ERROR = "arxiv.org/api/errors"
# The feed also lists MSC and ACM classes as categories ("03B70, 68Q99", "F.4.1; K.2").
_ARXIV_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)?)?")


def read_atom(path: Path) -> Iterator[Record]:
    """Yield the records of one saved arXiv API (Atom) response."""
    try:
        xml = read_xml_file(path)
    except XMLError as error:
        yield Malformed(path=str(path), position=0, reason=str(error))
        return
    yield from parse_atom(xml, str(path))


def parse_atom(xml: bytes, label: str) -> list[Record]:
    """The entries of one Atom response; ``label`` names it in ``Malformed`` records.

    Never raises on bad input: XML that is not well-formed or not an Atom feed gives one
    ``Malformed`` for the whole response. Position = entry number (unit "record").
    """
    try:
        root = parse_xml(xml)
    except XMLError as error:
        return [Malformed(path=label, position=error.line, reason=str(error))]
    if local_name(root) != "feed":
        reason = f"not an Atom feed (root element <{local_name(root)}>)"
        return [Malformed(path=label, position=0, reason=reason, unit="record")]
    entries = (e for e in children(root) if local_name(e) == "entry")
    return [_record(entry, label, number) for number, entry in enumerate(entries, start=1)]


def _record(entry: etree._Element, label: str, number: int) -> Record:
    try:
        return checked(_paper(entry))
    except (RecordError, InvalidIdError) as error:
        return Malformed(path=label, position=number, reason=str(error), unit="record")


def _paper(entry: etree._Element) -> Paper:
    entry_id = clean_text(child_text(entry, "id"))
    if _API_ERROR in entry_id:
        summary = " ".join((child_text(entry, "summary") or "unknown error").split())[:500]
        raise RecordError(f"arXiv API error: {summary}")
    if not entry_id:
        raise RecordError("missing id")
    paper_id, version = normalise_arxiv_id(entry_id)
    published = _moment(entry, "published")
    latest = _moment(entry, "updated")
    number = version or 1
    return Paper(
        id=paper_id,
        version=number,
        title=clean_text(child_text(entry, "title")),
        abstract=clean_text(child_text(entry, "summary")),
        authors=_authors(entry),
        categories=_categories(entry),
        submitted=published.date() if published else None,
        updated=latest.date() if latest and number > 1 else None,
        doi=optional_text(child_text(entry, "doi")),
        journal_ref=optional_text(child_text(entry, "journal_ref")),
        comments=optional_text(child_text(entry, "comment")),
        versions=_versions(published, number, latest),
    )


def _moment(entry: etree._Element, name: str) -> datetime | None:
    text = child_text(entry, name)
    return parse_iso_datetime(text, name) if text and text.strip() else None


def _versions(first: datetime | None, number: int, latest: datetime | None) -> tuple[Version, ...]:
    """What the entry tells of the versions: the first one and the latest one."""
    if number == 1:
        return (Version(1, first),)
    return (Version(1, first), Version(number, latest))


def _authors(entry: etree._Element) -> tuple[str, ...]:
    names = (
        author_name(child_text(author, "name"))
        for author in children(entry)
        if local_name(author) == "author"
    )
    return tuple(name for name in names if name is not None)


def _categories(entry: etree._Element) -> tuple[str, ...]:
    """The primary category first, then the other arXiv categories in feed order."""
    primary = [e.get("term") or "" for e in children(entry) if local_name(e) == "primary_category"]
    others = [e.get("term") or "" for e in children(entry) if local_name(e) == "category"]
    return unique_categories(c for c in primary + others if _ARXIV_CATEGORY.fullmatch(c.strip()))
