"""JSON-lines files (plain or gzip, or a ``.json`` file holding one array) as paper records.

Each line is dispatched by its keys to one of these formats:

* **ours** — ``Paper.to_dict()`` (has ``source`` and ``version``); taken as written.
* **Kaggle arXiv snapshot** — has ``authors_parsed``, ``update_date`` or ``submitter``.
* **BEIR corpus** — ``{"_id" or "id", "title", "text"}``; the id becomes ``"{namespace}:{id}"``
  and the source ``"beir:{namespace}"``.
* **arXiv sample** — an arXiv id, ``authors`` and ``categories`` lists and ``date`` (the listing
  date, stored as ``listed``). A record with ``categories`` or ``date`` is held to be arXiv, so
  a bad id there is reported rather than taken as a generic id.
* **generic** — any other ``{"id", "title", "abstract"}`` whose id is not an arXiv id; source
  ``"generic"``. Its id is kept if it contains a colon (already namespaced); an id of the form
  ``word-rest`` with a lowercase word (``seed-fde0b046e9``) names its own namespace and becomes
  ``word:rest`` (``seed:fde0b046e9``); any other id becomes ``"{namespace}:{id}"``. Mangled
  dashes left by a broken HTML-entity decoder (``compressionx2013which``) are repaired.

``namespace`` defaults to the lowercased name of the directory holding the file
(``scifact/corpus.jsonl`` -> ``scifact``).

Lines are read one at a time, each at most ``MAX_LINE_BYTES`` long; a bad line gives a
``Malformed`` naming its line number and the reason, and reading goes on. Blank lines are skipped.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from papersift.errors import InvalidIdError
from papersift.model import Paper, Version
from papersift.sources import Malformed, Record
from papersift.sources._fields import (
    RecordError,
    author_name,
    author_names,
    check_version,
    checked,
    clean_text,
    dates_from_versions,
    optional_text,
    parse_email_date,
    parse_iso_date,
    parse_iso_datetime,
    split_authors,
    unique_categories,
    version_number,
)
from papersift.sources.arxiv_ids import normalise_arxiv_id

# No record within the field limits comes near this (arXiv caps abstracts at 1,920 characters),
# and parsing a line takes several times its size in memory, so longer lines are skipped unread.
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_ARRAY_FILE_BYTES = 512 * 1024 * 1024
MAX_ID_CHARS = 200

_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SKIP_CHUNK_BYTES = 1024 * 1024
_SELF_NAMESPACED_ID = re.compile(r"(?P<namespace>[a-z][a-z0-9]*)-(?P<rest>\S+)")
# "x2013" where an entity decoder lost "&#": between letters, it can only be a dash.
_MANGLED_DASH = re.compile(r"(?<=[^\W\d_])x(201[34])(?=[^\W\d_])")
_JSON_TYPES = {
    dict: "object", list: "array", str: "string", int: "number", float: "number",
    bool: "boolean", type(None): "null",
}  # fmt: skip

Json = dict[str, Any]


def read_jsonl(path: Path, *, namespace: str | None = None) -> Iterator[Record]:
    """Yield one ``Paper`` or ``Malformed`` per non-blank line of a JSON-lines file.

    Gzip files (recognised by their magic bytes) are decompressed on the fly. A ``.json`` file
    holding one JSON array is read whole and each item counts as one record (unit "item").
    """
    label = str(path)
    space = namespace or _default_namespace(path)
    try:
        with _open(path) as stream:
            if path.name.endswith((".json", ".json.gz")):
                yield from _read_json_file(stream, label, space)
            else:
                yield from _read_lines(stream, label, space)
    except (OSError, EOFError, zlib.error) as error:  # cannot open it, or a corrupt .json.gz
        yield Malformed(path=label, position=0, reason=f"cannot read the file: {error}")


def _default_namespace(path: Path) -> str:
    return path.resolve().parent.name.lower() or "local"


@contextmanager
def _open(path: Path) -> Iterator[io.BufferedIOBase]:
    with path.open("rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        if magic == _GZIP_MAGIC:
            with gzip.open(raw, "rb") as unzipped:
                yield unzipped
        else:
            yield raw


def _read_lines(stream: io.BufferedIOBase, label: str, namespace: str) -> Iterator[Record]:
    number = 0
    try:
        for number, raw in enumerate(_bounded_lines(stream), start=1):
            if isinstance(raw, int):
                reason = f"line is {raw} bytes; the limit is {MAX_LINE_BYTES}"
                yield Malformed(path=label, position=number, reason=reason)
            elif number == 1 and raw.startswith(_UTF16_BOMS):
                reason = "file is UTF-16 encoded; JSON lines must be UTF-8"
                yield Malformed(path=label, position=1, reason=reason)
                return
            elif not raw.isspace():
                yield _line_record(raw, number, label, namespace)
    except (OSError, EOFError, zlib.error) as error:  # a corrupt or truncated .gz file
        reason = f"cannot read the file any further: {error}"
        yield Malformed(path=label, position=number + 1, reason=reason)


def _bounded_lines(stream: io.BufferedIOBase) -> Iterator[bytes | int]:
    """The lines of ``stream`` (with their newline); for a line over ``MAX_LINE_BYTES``, its size.

    An overlong line is skipped in chunks, so memory stays bounded whatever the input.
    """
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield raw
            continue
        size = len(raw)
        del raw
        while chunk := stream.readline(_SKIP_CHUNK_BYTES):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                size -= 1  # the size of the line, not counting its newline
                break
        yield size


def _line_record(raw: bytes, number: int, label: str, namespace: str) -> Record:
    try:
        return checked(_paper(_decode(raw, first_line=number == 1), namespace))
    except (RecordError, InvalidIdError) as error:
        return Malformed(path=label, position=number, reason=str(error))


def _read_json_file(stream: io.BufferedIOBase, label: str, namespace: str) -> Iterator[Record]:
    """A ``.json`` file: one array of records, or else JSON lines after all."""
    data = stream.read(MAX_ARRAY_FILE_BYTES + 1)
    if len(data) > MAX_ARRAY_FILE_BYTES:
        reason = f"JSON file is over {MAX_ARRAY_FILE_BYTES} bytes; write it as JSON lines"
        yield Malformed(path=label, position=0, reason=reason, unit="item")
        return
    if not data.removeprefix(_UTF8_BOM).lstrip().startswith(b"["):
        yield from _read_lines(io.BytesIO(data), label, namespace)
        return
    try:
        items = orjson.loads(data.removeprefix(_UTF8_BOM))
    except orjson.JSONDecodeError as error:
        reason = f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        yield Malformed(path=label, position=0, reason=reason, unit="item")
        return
    for index, item in enumerate(items, start=1):
        try:
            yield checked(_paper(_object(item), namespace))
        except (RecordError, InvalidIdError) as error:
            yield Malformed(path=label, position=index, reason=str(error), unit="item")


def _decode(raw: bytes, *, first_line: bool) -> Json:
    if first_line:
        raw = raw.removeprefix(_UTF8_BOM)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise RecordError(_json_error(raw, error)) from None
    return _object(value)


def _json_error(raw: bytes, error: orjson.JSONDecodeError) -> str:
    """Why a line is not JSON, in words: bad UTF-8, a truncated line, or the parser's message."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"invalid UTF-8 at byte {bad.start + 1} (is the file in another encoding?)"
    truncated = "" if raw.endswith(b"\n") else " (truncated last line?)"
    return f"invalid JSON{truncated}: {error.msg} at column {error.colno}"


def _object(value: object) -> Json:
    if not isinstance(value, dict):
        raise RecordError(f"expected a JSON object, got {_json_type(value)}")
    return value


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


# --- dispatch -------------------------------------------------------------------------------


def _paper(record: Json, namespace: str) -> Paper:
    """The paper in one decoded record, in whichever format its keys say it is."""
    if "source" in record and "version" in record:
        return _own_paper(record)
    if "authors_parsed" in record or "update_date" in record or "submitter" in record:
        return _kaggle_paper(record)
    if "text" in record and "abstract" not in record:
        return _beir_paper(record, namespace)
    raw_id = _required_text(record, "id")
    try:
        paper_id, version = normalise_arxiv_id(raw_id)
    except InvalidIdError:
        if "categories" in record or "date" in record:
            raise
        return _generic_paper(record, raw_id, namespace)
    return _sample_paper(record, paper_id, version)


def _own_paper(record: Json) -> Paper:
    """Our export format, taken as written (an arXiv id is still checked and normalised)."""
    source = _required_text(record, "source")
    paper_id, id_version = _arxiv_id(record) if source == "arxiv" else (_plain_id(record), None)
    return Paper(
        id=paper_id,
        title=clean_text(_text(record, "title")),
        abstract=clean_text(_text(record, "abstract")),
        authors=tuple(_strings(record, "authors")),
        categories=unique_categories(_strings(record, "categories")),
        version=_version(record) or id_version or 1,
        submitted=_iso_date(record, "submitted"),
        updated=_iso_date(record, "updated"),
        listed=_iso_date(record, "listed"),
        doi=_optional_text(record, "doi"),
        journal_ref=_optional_text(record, "journal_ref"),
        comments=_optional_text(record, "comments"),
        license=_optional_text(record, "license"),
        source=source,
        versions=_own_versions(record),
    )


def _sample_paper(record: Json, paper_id: str, version: int | None) -> Paper:
    """The arXiv sample format: arXiv id, author and category lists, listing ``date``."""
    return Paper(
        id=paper_id,
        version=version or 1,
        title=clean_text(_text(record, "title")),
        abstract=clean_text(_text(record, "abstract")),
        authors=_author_list(record),
        categories=_categories(record),
        listed=_iso_date(record, "date"),
        doi=_optional_text(record, "doi"),
        journal_ref=_optional_text(record, "journal_ref"),
        comments=_optional_text(record, "comments"),
        license=_optional_text(record, "license"),
    )


def _kaggle_paper(record: Json) -> Paper:
    """The Kaggle "arxiv-metadata-oai-snapshot" format."""
    paper_id, id_version = _arxiv_id(record)
    versions = _kaggle_versions(record)
    submitted, updated = dates_from_versions(versions)
    if not versions:
        updated = _iso_date(record, "update_date")
    return Paper(
        id=paper_id,
        version=max([v.number for v in versions] + [id_version or 1]),
        title=clean_text(_text(record, "title")),
        abstract=clean_text(_text(record, "abstract")),
        authors=_kaggle_authors(record),
        categories=_categories(record),
        submitted=submitted,
        updated=updated,
        doi=_optional_text(record, "doi"),
        journal_ref=_optional_text(record, "journal-ref"),
        comments=_optional_text(record, "comments"),
        license=_optional_text(record, "license"),
        versions=versions,
    )


def _beir_paper(record: Json, namespace: str) -> Paper:
    """A BEIR corpus document: ``{"_id", "title", "text"}``."""
    key = "_id" if "_id" in record else "id"
    return Paper(
        id=f"{namespace}:{_plain_id(record, key)}",
        title=clean_text(_text(record, "title")),
        abstract=clean_text(_text(record, "text")),
        source=f"beir:{namespace}",
    )


def _generic_paper(record: Json, raw_id: str, namespace: str) -> Paper:
    """Any other ``{"id", "title", "abstract"}`` record (see the module docstring for ids)."""
    _plain_id(record)
    if ":" in raw_id:
        paper_id = raw_id
    elif match := _SELF_NAMESPACED_ID.fullmatch(raw_id):
        paper_id = f"{match['namespace']}:{match['rest']}"
    else:
        paper_id = f"{namespace}:{raw_id}"
    return Paper(
        id=paper_id,
        title=_repair_dashes(clean_text(_text(record, "title"))),
        abstract=_repair_dashes(clean_text(_text(record, "abstract"))),
        authors=_author_list(record),
        source="generic",
    )


def _repair_dashes(text: str) -> str:
    if "x201" not in text:
        return text
    return _MANGLED_DASH.sub(lambda m: chr(int(m.group(1), 16)), text)


# --- fields -----------------------------------------------------------------------------------


def _text(record: Json, key: str) -> str:
    """A string field; absent or null gives ""."""
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"{key} must be a string, not {_json_type(value)}")
    return value


def _required_text(record: Json, key: str) -> str:
    value = _text(record, key).strip()
    if not value:
        raise RecordError(f"missing {key}")
    return value


def _optional_text(record: Json, key: str) -> str | None:
    return optional_text(_text(record, key))


def _plain_id(record: Json, key: str = "id") -> str:
    """A non-arXiv id: a non-empty string (or integer) without whitespace, of sane length."""
    value = record.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    paper_id = _required_text({key: value}, key)
    if len(paper_id) > MAX_ID_CHARS:
        raise RecordError(f"{key} is {len(paper_id)} characters; the limit is {MAX_ID_CHARS}")
    if any(c.isspace() for c in paper_id):
        raise RecordError(f"{key} {paper_id!r} contains whitespace")
    return paper_id


def _arxiv_id(record: Json) -> tuple[str, int | None]:
    return normalise_arxiv_id(_required_text(record, "id"))


def _strings(record: Json, key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RecordError(f"{key} must be a list of strings")
    return value


def _author_list(record: Json) -> tuple[str, ...]:
    """``authors`` as a list of names or as one "A, B and C" string."""
    if isinstance(record.get("authors"), str):
        return split_authors(record["authors"])
    return author_names(_strings(record, "authors"))


def _categories(record: Json) -> tuple[str, ...]:
    """``categories`` as a list or as one space-separated string."""
    value = record.get("categories")
    if isinstance(value, str):
        return unique_categories(value.split())
    return unique_categories(_strings(record, "categories"))


def _version(record: Json) -> int | None:
    """The ``version`` number (1 to ``MAX_VERSION``), or None when absent."""
    value = record.get("version")
    return None if value is None else check_version(value, "version")


def _iso_date(record: Json, key: str) -> date | None:
    text = _text(record, key)
    return parse_iso_date(text, key) if text.strip() else None


def _own_versions(record: Json) -> tuple[Version, ...]:
    versions = []
    for item in _list_of_objects(record, "versions"):
        number = _version(item)
        if number is None:
            raise RecordError("versions: each needs a version number")
        created = _text(item, "created")
        moment = parse_iso_datetime(created, "version") if created.strip() else None
        versions.append(Version(number, moment))
    return tuple(sorted(versions, key=lambda v: v.number))


def _kaggle_versions(record: Json) -> tuple[Version, ...]:
    """``[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]`` by number."""
    versions = {}
    for item in _list_of_objects(record, "versions"):
        number = version_number(_text(item, "version"))
        created = _text(item, "created")
        versions[number] = Version(number, parse_email_date(created) if created else None)
    return tuple(versions[n] for n in sorted(versions))


def _kaggle_authors(record: Json) -> tuple[str, ...]:
    """Names from ``authors_parsed`` ([[last, first, suffix], ...]), else the ``authors`` string."""
    parsed = record.get("authors_parsed")
    if not isinstance(parsed, list):
        return split_authors(_text(record, "authors"))
    names = []
    for parts in parsed:
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            raise RecordError("authors_parsed must be a list of [last, first, suffix] lists")
        last, first, suffix = [*parts, "", "", ""][:3]
        if (name := author_name(first, last, suffix)) is not None:
            names.append(name)
    return tuple(names)


def _list_of_objects(record: Json, key: str) -> list[Json]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise RecordError(f"{key} must be a list of objects")
    return value
