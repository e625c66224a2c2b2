r"""arXiv ``.abs`` metadata files as paper records.

A file looks like this (header continuation lines are indented)::

    ------------------------------------------------------------------------------
    \\
    arXiv:0704.0001                      (older files: "Paper: hep-th/9901001")
    From: Pavel Nadolsky <...>
    Date: Mon, 2 Apr 2007 19:18:42 GMT   (443kb)
    Date (revised v2): Tue, 24 Jul 2007 20:10:27 GMT   (370kb)

    Title: Calculation of prompt diphoton production cross sections at Tevatron and
      LHC energies
    Authors: C. Bal\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan
    Categories: hep-ph
    \\
      A fully differential calculation ...
    \\

The id comes from the file's ``arXiv:``/``Paper:`` line, never from its name (old-style files
are named ``9411001.abs`` without their archive). Files are decoded as UTF-8, else latin-1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from papersift.errors import InvalidIdError
from papersift.model import Paper, Version
from papersift.sources import Malformed, Record
from papersift.sources._fields import (
    RecordError,
    checked,
    clean_text,
    dates_from_versions,
    optional_text,
    parse_email_date,
    split_authors,
    unique_categories,
    version_number,
)
from papersift.sources.arxiv_ids import normalise_arxiv_id

_SEPARATOR = re.compile(r"^\\\\[ \t]*$", re.MULTILINE)
_HEADER_LINE = re.compile(r"(?P<key>[A-Za-z][\w-]*(?: \([^)]*\))?)\s*:\s?(?P<value>.*)")
_REVISION = re.compile(r"Date \(revised(?: v(?P<number>\S+))?\)")


def read_abs(path: Path) -> Iterator[Record]:
    """Yield the one record of an ``.abs`` file: a ``Paper`` or a ``Malformed`` (unit "record")."""
    try:
        data = path.read_bytes()
    except OSError as error:
        yield Malformed(path=str(path), position=0, reason=f"cannot read the file: {error}")
        return
    try:
        yield checked(parse_abs(_decode(data)))
    except (RecordError, InvalidIdError) as error:
        yield Malformed(path=str(path), position=1, reason=str(error), unit="record")


def parse_abs(text: str) -> Paper:
    """The paper in the text of an ``.abs`` file; raises ``RecordError`` if it has none."""
    header, abstract = _split(text)
    fields, dates = _header_fields(header)
    raw_id = (fields.get("arXiv") or fields.get("Paper") or "").split()
    if not raw_id:
        raise RecordError("no arXiv: or Paper: line")
    paper_id, id_version = normalise_arxiv_id(raw_id[0])
    versions = _versions(dates)
    submitted, updated = dates_from_versions(versions)
    categories = (fields.get("Categories") or "").split()
    return Paper(
        id=paper_id,
        title=clean_text(fields.get("Title")),
        abstract=clean_text(abstract),
        authors=split_authors(fields.get("Authors") or ""),
        categories=unique_categories(categories or _archive_of(paper_id)),
        version=max([v.number for v in versions] + [id_version or 1]),
        submitted=submitted,
        updated=updated,
        doi=optional_text(fields.get("DOI")),
        journal_ref=optional_text(fields.get("Journal-ref")),
        comments=optional_text(fields.get("Comments")),
        license=optional_text(fields.get("License")),
        versions=versions,
    )


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # maps every byte, so this cannot fail
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split(text: str) -> tuple[str, str]:
    r"""The header block and the abstract, found between the ``\\`` separator lines."""
    parts = _SEPARATOR.split(text)  # [dashes, header, abstract, rest] in a complete file
    if len(parts) < 2:
        raise RecordError("not an .abs file: no \\\\ line before the header")
    return parts[1], parts[2] if len(parts) > 2 else ""


def _header_fields(header: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Header values by key (the first line of each key wins) and the ``Date`` lines in order.

    Values keep their continuation lines, as the other readers keep the original text.
    """
    entries: list[list[str]] = []
    for line in header.split("\n"):
        if line[:1].isspace() and line.strip() and entries:
            entries[-1][1] += "\n" + line
        elif match := _HEADER_LINE.fullmatch(line.strip()):
            entries.append([match["key"], match["value"]])
    fields = {key: value for key, value in reversed(entries)}
    dates = [(key, value) for key, value in entries if key.startswith("Date")]
    return fields, dates


def _versions(dates: list[tuple[str, str]]) -> tuple[Version, ...]:
    """Versions from ``Date:`` (v1) and ``Date (revised vN):`` lines."""
    versions: dict[int, Version] = {}
    for key, value in dates:
        if key == "Date":
            number = 1
        elif match := _REVISION.fullmatch(key):
            revised = match["number"]
            number = version_number(revised) if revised is not None else len(versions) + 1
        else:
            continue
        versions[number] = Version(number, parse_email_date(value))
    return tuple(versions[n] for n in sorted(versions))


def _archive_of(paper_id: str) -> list[str]:
    """An old-style id's archive, the only category such a file may give."""
    return [paper_id.split("/")[0]] if "/" in paper_id else []
