"""arXiv OAI-PMH responses (metadata formats ``arXiv`` and ``arXivRaw``) as paper records.

Elements are matched by local name: arXiv's responses are not consistent about namespaces (some
``<arXiv>`` elements inherit the OAI namespace instead of declaring their own).

The header ``datestamp`` is the date arXiv last changed the record's metadata, not the date the
paper was announced, so it is never used as ``listed``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from lxml import etree

from papersift.errors import InvalidIdError
from papersift.model import Paper, Version
from papersift.sources import Malformed, Record
from papersift.sources._fields import (
    RecordError,
    author_name,
    checked,
    clean_text,
    dates_from_versions,
    optional_text,
    parse_email_date,
    parse_iso_date,
    split_authors,
    unique_categories,
    version_number,
)
from papersift.sources._xml import (
    XMLError,
    child_text,
    children,
    element_text,
    local_name,
    parse_xml,
    read_xml_file,
)
from papersift.sources.arxiv_ids import normalise_arxiv_id

_NO_RECORDS = "noRecordsMatch"
_MAX_MESSAGE_CHARS = 500  # of an OAI error's text kept for messages
_COUNT = re.compile(r"[0-9]{1,15}")  # str.isdigit() takes "²", which int() refuses


@dataclass(frozen=True, slots=True)
class OAIPage:
    """One OAI-PMH response: its records and what the harvester needs to go on.

    ``resumption_token`` is None on the last page. ``error_code`` holds an OAI error such as
    ``badResumptionToken``; ``noRecordsMatch`` is reported too but means an empty page.
    """

    records: list[Record]
    resumption_token: str | None
    complete_list_size: int | None
    error_code: str | None
    error_message: str | None


def read_oai(path: Path) -> Iterator[Record]:
    """Yield the records of one saved OAI-PMH response file.

    An OAI error other than noRecordsMatch, or a file that is not well-formed XML, is yielded as
    one ``Malformed`` for the file.
    """
    try:
        xml = read_xml_file(path)
    except XMLError as error:
        yield Malformed(path=str(path), position=0, reason=str(error))
        return
    page = parse_oai_response(xml, str(path))
    yield from page.records
    if page.error_code not in (None, _NO_RECORDS):
        reason = f"OAI-PMH error {page.error_code}: {page.error_message or ''}".rstrip(": ")
        yield Malformed(path=str(path), position=0, reason=reason, unit="record")


def parse_oai_response(xml: bytes, label: str) -> OAIPage:
    """Parse one OAI-PMH response; ``label`` names it in ``Malformed`` records (a path or URL).

    Never raises on bad input: XML that is not well-formed or not OAI-PMH gives a page with one
    ``Malformed`` and no token. Deleted records are skipped.
    """
    try:
        root = parse_xml(xml)
    except XMLError as error:
        return _failed_page(Malformed(path=label, position=error.line, reason=str(error)))
    if local_name(root) != "OAI-PMH":
        reason = f"not an OAI-PMH response (root element <{local_name(root)}>)"
        return _failed_page(Malformed(path=label, position=0, reason=reason, unit="record"))
    records = [
        record
        for number, element in enumerate(root.iter("{*}record"), start=1)
        if (record := _record(element, label, number)) is not None
    ]
    token, size = _resumption(root)
    code, message = _error(root)
    return OAIPage(records, token, size, code, message)


def _failed_page(malformed: Malformed) -> OAIPage:
    return OAIPage([malformed], None, None, None, None)


def _resumption(root: etree._Element) -> tuple[str | None, int | None]:
    element = next(root.iter("{*}resumptionToken"), None)
    if element is None:
        return None, None
    size = (element.get("completeListSize") or "").strip()
    return optional_text(element.text), _count(size)


def _count(text: str) -> int | None:
    """A count attribute's value, or None unless it is plain ASCII digits of a sane length."""
    return int(text) if _COUNT.fullmatch(text) else None


def _error(root: etree._Element) -> tuple[str | None, str | None]:
    element = next((e for e in children(root) if local_name(e) == "error"), None)
    if element is None:
        return None, None
    message = optional_text(element_text(element)[:_MAX_MESSAGE_CHARS])
    return (element.get("code") or "unknown")[:_MAX_MESSAGE_CHARS], message


def _record(element: etree._Element, label: str, number: int) -> Record | None:
    """The paper in one ``<record>``, None if deleted, or a ``Malformed`` saying what is wrong."""
    header = next((e for e in children(element) if local_name(e) == "header"), None)
    if header is not None and header.get("status") == "deleted":
        return None
    try:
        return checked(_paper(element))
    except (RecordError, InvalidIdError) as error:
        return Malformed(path=label, position=number, reason=str(error), unit="record")


def _paper(record: etree._Element) -> Paper:
    metadata = next((e for e in children(record) if local_name(e) == "metadata"), None)
    content = next(children(metadata), None) if metadata is not None else None
    if content is None:
        raise RecordError("record has no metadata")
    fields = {local_name(e): e for e in children(content)}
    kind = local_name(content)
    if kind == "arXiv":
        return _arxiv_paper(content, fields)
    if kind == "arXivRaw":
        return _arxiv_raw_paper(content, fields)
    raise RecordError(f"unsupported metadata format <{kind}> (expected arXiv or arXivRaw)")


def _arxiv_paper(content: etree._Element, fields: dict[str, etree._Element]) -> Paper:
    paper_id, version = _paper_id(fields)
    authors_element = fields.get("authors")
    authors = () if authors_element is None else _structured_authors(authors_element)
    created, updated = child_text(content, "created"), child_text(content, "updated")
    return Paper(
        id=paper_id,
        version=version or 1,
        authors=authors,
        submitted=parse_iso_date(created, "created") if created else None,
        updated=parse_iso_date(updated, "updated") if updated else None,
        **_common_fields(content),
    )


def _arxiv_raw_paper(content: etree._Element, fields: dict[str, etree._Element]) -> Paper:
    paper_id, id_version = _paper_id(fields)
    versions = _raw_versions(content)
    submitted, updated = dates_from_versions(versions)
    highest = max([v.number for v in versions] + [id_version or 1])
    return Paper(
        id=paper_id,
        version=highest,
        authors=split_authors(child_text(content, "authors") or ""),
        submitted=submitted,
        updated=updated,
        versions=versions,
        **_common_fields(content),
    )


def _paper_id(fields: dict[str, etree._Element]) -> tuple[str, int | None]:
    raw = element_text(fields["id"]).strip() if "id" in fields else ""
    if not raw:
        raise RecordError("missing id")
    return normalise_arxiv_id(raw)


class _CommonFields(TypedDict):
    title: str
    abstract: str
    categories: tuple[str, ...]
    doi: str | None
    journal_ref: str | None
    comments: str | None
    license: str | None


def _common_fields(content: etree._Element) -> _CommonFields:
    """The fields both formats spell the same way."""
    return {
        "title": clean_text(child_text(content, "title")),
        "abstract": clean_text(child_text(content, "abstract")),
        "categories": unique_categories((child_text(content, "categories") or "").split()),
        "doi": optional_text(child_text(content, "doi")),
        "journal_ref": optional_text(child_text(content, "journal-ref")),
        "comments": optional_text(child_text(content, "comments")),
        "license": optional_text(child_text(content, "license")),
    }


def _structured_authors(authors: etree._Element) -> tuple[str, ...]:
    """Names from ``<author>`` elements as "forenames keyname suffix"."""
    names = (
        author_name(
            child_text(author, "forenames"),
            child_text(author, "keyname"),
            child_text(author, "suffix"),
        )
        for author in children(authors)
        if local_name(author) == "author"
    )
    return tuple(name for name in names if name is not None)


def _raw_versions(content: etree._Element) -> tuple[Version, ...]:
    """``<version version="v2"><date>Mon, 2 Apr 2007 19:18:42 GMT</date>`` elements, by number."""
    versions = {}
    for element in children(content):
        if local_name(element) == "version":
            number = version_number(element.get("version") or "")
            date_text = child_text(element, "date")
            versions[number] = Version(number, parse_email_date(date_text) if date_text else None)
    return tuple(versions[n] for n in sorted(versions))
