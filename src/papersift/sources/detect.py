"""Recognise an input file's format and read files or whole directories of them.

The format is decided by the file's first few KB (decompressed first if it is gzip), and by its
extension only when the content does not tell (an empty ``.jsonl`` file, say).
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from papersift.errors import UnknownFormatError
from papersift.sources import Record
from papersift.sources._xml import GZIP_MAGIC
from papersift.sources.abs import read_abs
from papersift.sources.atom import read_atom
from papersift.sources.jsonl import read_jsonl
from papersift.sources.oai import read_oai

SNIFF_BYTES = 8192
FORMATS = ("jsonl", "oai", "atom", "abs")

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_XML_ROOT = re.compile(rb"<(?:[\w.-]+:)?(OAI-PMH|feed)[\s>/]")
_ABS_ID_LINE = re.compile(rb"^(?:arXiv|Paper):", re.MULTILINE)
_ABS_SEPARATOR = re.compile(rb"^\\\\[ \t]*\r?$", re.MULTILINE)
_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".abs": "abs"}
# A BEIR collection's queries files look like a corpus without titles; they are not papers.
_BEIR_QUERIES = re.compile(r"queries.*\.jsonl(?:\.gz)?")
_BEIR_CORPUS_NAMES = ("corpus.jsonl", "corpus.jsonl.gz")


def detect_format(path: Path) -> str:
    """One of ``"jsonl"``, ``"oai"``, ``"atom"``, ``"abs"`` for the file at ``path``.

    Raises ``UnknownFormatError`` naming the file and what it starts with when neither its
    content nor its extension tells, or when it does not exist.
    """
    head = _head(path)
    found = _format_of_content(head) or _SUFFIX_FORMATS.get(_suffix(path))
    if found is None:
        raise UnknownFormatError(
            f"{path}: cannot tell its format (expected JSON lines, OAI-PMH XML, arXiv API Atom"
            f" XML or an arXiv .abs file); it starts with {head[:60]!r}"
        )
    return found


def read_path(path: Path, *, namespace: str | None = None) -> Iterator[Record]:
    """Yield the records of a file, or of every file under a directory.

    A file given explicitly must be in a known format (else ``UnknownFormatError``). In a
    directory, files are read in sorted order, recursively; hidden files and directories, files
    of unknown format and the queries files of a BEIR collection are skipped silently.
    ``namespace`` is passed to the JSON-lines reader (see ``read_jsonl``).
    """
    if path.is_dir():
        for file in _files_under(path):
            try:
                found = detect_format(file)
            except UnknownFormatError:
                continue
            yield from _reader(found, namespace)(file)
    else:
        yield from _reader(detect_format(path), namespace)(path)


def _reader(found: str, namespace: str | None) -> Callable[[Path], Iterator[Record]]:
    if found == "jsonl":
        return lambda file: read_jsonl(file, namespace=namespace)
    return {"oai": read_oai, "atom": read_atom, "abs": read_abs}[found]


def _head(path: Path) -> bytes:
    """The first ``SNIFF_BYTES`` of the file's content, decompressed if it is gzip."""
    try:
        with path.open("rb") as file:
            head = file.read(SNIFF_BYTES)
            if head.startswith(GZIP_MAGIC):
                file.seek(0)
                with gzip.open(file, "rb") as unzipped:
                    head = unzipped.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise UnknownFormatError(f"{path}: no such file or directory") from None
    except IsADirectoryError:
        raise UnknownFormatError(f"{path}: is a directory, not a file") from None
    except (OSError, EOFError, zlib.error) as error:
        raise UnknownFormatError(f"{path}: cannot read it: {error}") from None
    return head


def _format_of_content(head: bytes) -> str | None:
    text = head.removeprefix(_UTF8_BOM).lstrip()
    if text.startswith((b"{", b"[")):
        return "jsonl"
    if text.startswith(b"<"):
        root = _XML_ROOT.search(text)
        if root is None:
            return None
        return "oai" if root.group(1) == b"OAI-PMH" else "atom"
    if _ABS_SEPARATOR.search(text) and _ABS_ID_LINE.search(text):
        return "abs"
    return None


def _suffix(path: Path) -> str:
    """The extension that names the format: ``.jsonl`` for both x.jsonl and x.jsonl.gz."""
    name = path.name.lower().removesuffix(".gz")
    return os.path.splitext(name)[1]


def _files_under(directory: Path) -> Iterator[Path]:
    """Every non-hidden file under ``directory``, in sorted order, BEIR queries files left out."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names = sorted(f for f in files if not f.startswith("."))
        beir = any(name in names for name in _BEIR_CORPUS_NAMES)
        for name in names:
            if not (beir and _BEIR_QUERIES.fullmatch(name)):
                yield Path(root, name)
