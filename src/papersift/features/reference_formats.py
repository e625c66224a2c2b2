"""Reference-manager files: BibTeX, RIS and CSL-JSON (what Zotero, Mendeley, EndNote, JabRef and
most reference managers export and import).

Reading gives, for each entry, what names its paper: an arXiv id (an ``eprint`` field, an arXiv
URL or ``arXiv:`` id in any other field but the title and abstract, arXiv's DOI), a DOI and a
title. An entry that cannot be read is reported with its key and the reason, and the rest of the
file is read on; a file that is none of the three formats, or not text, is refused
(``InvalidInputError``). BibTeX is read by bibtexparser (v2), RIS by rispy, CSL-JSON is JSON.

Writing gives RIS and CSL-JSON records of papers, as ``features.bibtex`` gives BibTeX entries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import rispy  # type: ignore[import-untyped]
from bibtexparser.entrypoint import parse_string
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, ParsingFailedBlock
from rispy.writer import RisWriter  # type: ignore[import-untyped]

from papersift.errors import InvalidInputError
from papersift.features.bibtex import citation_key
from papersift.model import Paper
from papersift.sources.arxiv_ids import arxiv_abs_url, canonical_arxiv_id
from papersift.text import readable

# bibtexparser logs every block it cannot read: a user's file is not the server's problem.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)

FORMATS = ("bibtex", "ris", "csl-json")
MAX_FILE_BYTES = 5_000_000  # the web refuses bodies over 1 MB before this is reached
MAX_ENTRIES = 5_000
_SUFFIXES = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".ris": "ris",
    ".json": "csl-json",
    ".csl": "csl-json",
}

# An arXiv id named in free text: an arXiv URL, "arXiv:2101.00001", "arXiv preprint
# arXiv:2101.00001 [cs.LG]", arXiv's DOI 10.48550/arXiv.2101.00001.
_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]{2,})?/\d{7})(?:v\d+)?"
_ARXIV_IN_TEXT = re.compile(
    rf"arxiv(?:\.org/(?:abs|pdf|html)/|\s*[:.]\s*|\s+)({_ID})(?![\d.])", re.IGNORECASE
)
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_BIBTEX_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s{}()=]+)")
_BIBTEX_ENTRY = re.compile(r"@\s*[A-Za-z]+\s*[{(]")
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
# Fields whose words are the paper's own and may mention other papers' ids.
_NOT_NAMING = frozenset(
    {"title", "abstract", "keywords", "keyword", "primary_title", "notes_abstract", "author"}
)


@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of a file: its key and what names its paper (any may be missing)."""

    key: str
    title: str = ""
    arxiv_id: str | None = None
    doi: str | None = None  # lower case, no resolver prefix


@dataclass(frozen=True, slots=True)
class BadEntry:
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReferenceFile:
    format: str
    references: list[Reference]
    malformed: list[BadEntry]

    @property
    def entries(self) -> int:
        return len(self.references) + len(self.malformed)


# reading -----------------------------------------------------------------------------------


def read_references(
    data: bytes | str, *, filename: str = "", format: str | None = None
) -> ReferenceFile:
    """The entries of a BibTeX, RIS or CSL-JSON file. ``format`` (one of ``FORMATS``) or the
    file name's suffix says which; else the content does. Raises ``InvalidInputError`` for a
    file that is not text, is none of them, is too large, or holds no entry at all."""
    text = _decode(data)
    chosen = format or _format_of(filename, text)
    if chosen not in FORMATS:
        raise InvalidInputError(f"unknown format {chosen!r}: use one of {', '.join(FORMATS)}")
    if chosen == "bibtex":
        found = _read_bibtex(text)
    elif chosen == "ris":
        found = _read_ris(text)
    else:
        found = _read_csl_json(text)
    if found.entries == 0:
        raise InvalidInputError(f"the file holds no {_NAMES[chosen]} entries")
    if found.entries > MAX_ENTRIES:
        raise InvalidInputError(
            f"the file holds {found.entries} entries; import at most {MAX_ENTRIES} at a time"
        )
    return found


_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON"}


def _decode(data: bytes | str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInputError(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidInputError(
                f"the file is not UTF-8 text (byte {error.start}); export it as UTF-8"
            ) from None
    if "\x00" in data:
        raise InvalidInputError("the file is not text (it holds NUL characters)")
    return data.lstrip("\ufeff")


def _format_of(filename: str, text: str) -> str:
    name = filename.lower()
    for suffix, chosen in _SUFFIXES.items():
        if name.endswith(suffix):
            return chosen
    start = text.lstrip()[:1]
    if start in ("[", "{"):
        return "csl-json"
    if re.search(r"^TY  -", text, re.MULTILINE):
        return "ris"
    if _BIBTEX_ENTRY.search(text):
        return "bibtex"
    raise InvalidInputError("the file is not BibTeX, RIS or CSL-JSON")


def clean_doi(raw: str) -> str | None:
    """``10.1000/xyz`` in lower case from a DOI, a doi.org URL or ``doi:10...``; else None."""
    text = _DOI_PREFIX.sub("", raw.strip().strip("{}").strip())
    if not text.startswith("10.") or "/" not in text or len(text) > 250:
        return None
    return text.rstrip(".,;").lower()


def arxiv_in_text(text: str) -> str | None:
    """The canonical arXiv id that free text names (an arXiv URL, ``arXiv:`` id, arXiv DOI)."""
    for match in _ARXIV_IN_TEXT.finditer(text):
        found = canonical_arxiv_id(match.group(1))
        if found:
            return found
    return None


def _reference(
    key: str, title: str, eprint: str | None, doi: str | None, others: list[str]
) -> Reference:
    arxiv_id = canonical_arxiv_id(eprint) if eprint else None
    cleaned = clean_doi(doi) if doi else None
    if arxiv_id is None and cleaned:
        arxiv_id = arxiv_in_text(cleaned)
    for text in others:
        if arxiv_id is None:
            arxiv_id = arxiv_in_text(text)
        if cleaned is None and "doi.org/" in text.lower():
            found = _DOI.search(text)
            cleaned = clean_doi(found.group(1)) if found else None
    return Reference(key=key, title=" ".join(title.split()), arxiv_id=arxiv_id, doi=cleaned)


def _read_bibtex(text: str) -> ReferenceFile:
    library = parse_string(text)
    references: list[Reference] = []
    malformed: list[BadEntry] = []
    for entry in library.entries:
        line = (entry.start_line or 0) + 1
        if not entry.key.strip():
            malformed.append(BadEntry(f"line {line}", "the entry has no key"))
            continue
        if any(c.isspace() for c in entry.key) or not entry.fields:
            words = entry.key.split()
            reason = "a comma is missing after the key" if len(words) > 1 else "no fields"
            malformed.append(BadEntry(words[0], f"cannot be read: {reason} (line {line})"))
            continue
        fields = {
            name.lower(): _bibtex_value(field.value) for name, field in entry.fields_dict.items()
        }
        prefix = fields.get("archiveprefix", "").strip().lower()
        eprint = fields.get("eprint") if prefix in ("", "arxiv") else None
        eprint = eprint or fields.get("arxivid") or fields.get("arxiv")
        others = [value for name, value in fields.items() if name not in _NOT_NAMING]
        references.append(
            _reference(entry.key, fields.get("title", ""), eprint, fields.get("doi"), others)
        )
    for block in library.failed_blocks:
        malformed.append(BadEntry(_bibtex_failed_key(block), _bibtex_failure(block)))
    return ReferenceFile("bibtex", references, malformed)


def _bibtex_value(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _bibtex_failed_key(block: Any) -> str:
    key = getattr(block, "key", None)
    if isinstance(key, str) and key.strip():
        return key
    found = _BIBTEX_KEY.match(block.raw.lstrip())
    return found.group(1) if found else f"line {(block.start_line or 0) + 1}"


def _bibtex_failure(block: Any) -> str:
    line = (block.start_line or 0) + 1
    if isinstance(block, DuplicateBlockKeyBlock):
        return f"an earlier entry has the same key (line {line})"
    if isinstance(block, DuplicateFieldKeyBlock):
        names = ", ".join(sorted(block.duplicate_keys))
        return f"the entry gives a field twice: {names} (line {line})"
    if isinstance(block, ParsingFailedBlock):
        reason = getattr(block.error, "abort_reason", "") or str(block.error)
        reason = " ".join(str(reason).split()) or "a syntax error"
        return f"cannot be read: {reason} (line {line})"
    return f"cannot be read (line {line})"


def _read_ris(text: str) -> ReferenceFile:
    references: list[Reference] = []
    malformed: list[BadEntry] = []
    for number, (line, lines, problem) in enumerate(_ris_records(text), 1):
        key = _ris_id(lines) or f"record {number} (line {line})"
        if problem:
            malformed.append(BadEntry(key, problem))
            continue
        try:
            parsed = rispy.loads("\n".join(lines), skip_unknown_tags=True)
        except Exception as error:  # rispy raises whatever a bad record causes
            malformed.append(BadEntry(key, f"cannot be read: {error}"[:300]))
            continue
        if len(parsed) != 1:
            malformed.append(BadEntry(key, "cannot be read as one RIS record"))
            continue
        record = parsed[0]
        title = record.get("title") or record.get("primary_title") or ""
        others = [
            text
            for name, value in record.items()
            if name not in _NOT_NAMING
            for text in (value if isinstance(value, list) else [value])
            if isinstance(text, str)
        ]
        references.append(_reference(key, str(title), None, _first(record.get("doi")), others))
    return ReferenceFile("ris", references, malformed)


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _ris_id(lines: list[str]) -> str | None:
    for line in lines:
        found = _RIS_LINE.match(line)
        if found and found.group(1) == "ID" and (found.group(2) or "").strip():
            return (found.group(2) or "").strip()[:200]
    return None


def _ris_records(text: str) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line number, lines, problem or None) of each record: TY starts one, ER ends it."""
    current: list[str] = []
    start = 0
    stray: list[str] = []
    stray_start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        found = _RIS_LINE.match(line)
        tag = found.group(1) if found else None
        if tag == "TY":
            if current:
                yield start, current, "the record has no ER line (end of record)"
            if stray:
                yield stray_start, stray, "the record does not start with a TY line"
                stray = []
            current, start = [line], number
        elif current:
            current.append(line)
            if tag == "ER":
                yield start, current, None
                current = []
        elif line.strip() and not re.fullmatch(r"\d+\.", line.strip()):  # rispy's "1." headers
            if not stray:
                stray_start = number
            stray.append(line)
            if tag == "ER":
                yield stray_start, stray, "the record does not start with a TY line"
                stray = []
    if current:
        yield start, current, "the record has no ER line (end of record)"
    if stray:
        yield stray_start, stray, "the record does not start with a TY line"


def _read_csl_json(text: str) -> ReferenceFile:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InvalidInputError(f"the file is not valid JSON: {error}"[:300]) from None
    if isinstance(data, dict):
        data = data.get("items", [data]) if "items" in data else [data]
    if not isinstance(data, list):
        raise InvalidInputError("a CSL-JSON file holds a list of items")
    references: list[Reference] = []
    malformed: list[BadEntry] = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            malformed.append(BadEntry(f"item {number}", "the item is not a JSON object"))
            continue
        raw_key = item.get("id")
        key = (
            str(raw_key)[:200]
            if isinstance(raw_key, str | int) and str(raw_key).strip()
            else f"item {number}"
        )
        title, doi = item.get("title", ""), item.get("DOI")
        if not isinstance(title, str):
            malformed.append(BadEntry(key, "its title is not text"))
            continue
        if doi is not None and not isinstance(doi, str):
            malformed.append(BadEntry(key, "its DOI is not text"))
            continue
        others = [
            value
            for name, value in item.items()
            if name not in _NOT_NAMING and isinstance(value, str)
        ]
        references.append(_reference(key, title, None, doi, others))
    return ReferenceFile("csl-json", references, malformed)


# writing -----------------------------------------------------------------------------------


class _Writer(RisWriter):  # type: ignore[misc]
    def set_header(self, count: int) -> str:
        return ""  # no "1." line before each record: not every reader skips it


def keyed(papers: Iterable[Paper]) -> list[tuple[str, Paper]]:
    """Each paper with its citation key, repeated keys made unique with a, b, c suffixes (as in
    ``bibtex_many``)."""
    seen: dict[str, int] = {}
    out: list[tuple[str, Paper]] = []
    for paper in papers:
        key = citation_key(paper)
        count = seen.get(key, 0)
        seen[key] = count + 1
        out.append((key + (chr(ord("a") + (count - 1) % 26) if count else ""), paper))
    return out


def ris_many(papers: Iterable[Paper]) -> str:
    """RIS records of ``papers`` (TY PREPRINT, or JOUR with a journal reference)."""
    records: list[dict[str, Any]] = []
    for key, paper in keyed(papers):
        record: dict[str, Any] = {
            "type_of_reference": "JOUR" if paper.journal_ref else "PREPRINT",
            "id": key,
            "title": _one_line(readable(paper.title)),
            "authors": [_one_line(a) for a in paper.authors],
        }
        day = paper.submitted or paper.display_date
        if day:
            record["year"] = str(day.year)
            record["date"] = day.strftime("%Y/%m/%d/")
        if paper.abstract:
            record["abstract"] = _one_line(readable(paper.abstract))
        if paper.doi:
            record["doi"] = _one_line(paper.doi)
        if paper.journal_ref:
            record["journal_name"] = _one_line(paper.journal_ref)
        if paper.source == "arxiv":
            record["urls"] = [arxiv_abs_url(paper.id)]
            primary = f" [{paper.primary_category}]" if paper.primary_category else ""
            record["notes"] = [f"arXiv:{paper.id}{primary}"]
            record["publisher"] = "arXiv"
        if paper.categories:
            record["keywords"] = list(paper.categories)
        records.append(record)
    return rispy.dumps(records, implementation=_Writer) if records else ""


def csl_json_many(papers: Iterable[Paper]) -> list[dict[str, Any]]:
    """CSL-JSON items of ``papers`` (type ``article`` for a preprint, as Zotero writes them)."""
    items: list[dict[str, Any]] = []
    for key, paper in keyed(papers):
        item: dict[str, Any] = {
            "id": key,
            "type": "article-journal" if paper.journal_ref else "article",
            "title": readable(paper.title),
            "author": [_csl_name(a) for a in paper.authors],
        }
        day = paper.submitted or paper.display_date
        if day:
            item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
        if paper.abstract:
            item["abstract"] = readable(paper.abstract)
        if paper.doi:
            item["DOI"] = paper.doi
        if paper.journal_ref:
            item["container-title"] = paper.journal_ref
        if paper.source == "arxiv":
            item["URL"] = arxiv_abs_url(paper.id)
            item["number"] = f"arXiv:{paper.id}"
            item["publisher"] = "arXiv"
        if paper.categories:
            item["keyword"] = ", ".join(paper.categories)
        items.append(item)
    return items


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _csl_name(author: str) -> dict[str, str]:
    parts = _one_line(readable(author)).split(" ")
    if len(parts) < 2:
        return {"literal": " ".join(parts)}
    return {"family": parts[-1], "given": " ".join(parts[:-1])}
