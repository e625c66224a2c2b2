"""Safe XML parsing and namespace-blind element access for the XML readers."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

GZIP_MAGIC = b"\x1f\x8b"
# A ListRecords page from arXiv is a few MB; an arXiv API answer smaller still.
MAX_XML_BYTES = 512 * 1024 * 1024


class XMLError(ValueError):
    """The input is not well-formed XML; ``line`` is where the parser gave up (0 if unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_xml(xml: bytes) -> etree._Element:
    """Parse untrusted XML: no entity expansion, no network, no huge-tree mode."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise XMLError(f"not well-formed XML: {error.msg}", error.lineno or 0) from error
    except ValueError as error:  # input lxml refuses before parsing
        raise XMLError(f"not well-formed XML: {error}", 0) from error


def read_xml_file(path: Path) -> bytes:
    """The bytes of an XML file, decompressed if it is gzip.

    Raises ``XMLError`` when the file cannot be read, is corrupt gzip, or holds more than
    ``MAX_XML_BYTES`` (a gzip bomb would otherwise fill the memory).
    """
    try:
        with path.open("rb") as file:
            data = file.read(MAX_XML_BYTES + 1)
            if data.startswith(GZIP_MAGIC):
                file.seek(0)
                with gzip.open(file, "rb") as unzipped:
                    data = unzipped.read(MAX_XML_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise XMLError(f"cannot read the file: {error}", 0) from error
    if len(data) > MAX_XML_BYTES:
        raise XMLError(f"the XML is over {MAX_XML_BYTES:,} bytes; split it", 0)
    return data


def local_name(element: etree._Element) -> str:
    """The tag without its namespace ("{http://arxiv.org/OAI/arXiv/}id" -> "id")."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def children(element: etree._Element) -> Iterator[etree._Element]:
    """The child elements, skipping comments and processing instructions."""
    return (child for child in element if isinstance(child.tag, str))


def child_text(element: etree._Element, name: str) -> str | None:
    """All text inside the first child called ``name`` (any namespace), or None if absent."""
    child = next((c for c in children(element) if local_name(c) == name), None)
    return None if child is None else element_text(child)


def element_text(element: etree._Element) -> str:
    """All text inside ``element``, its descendants' included."""
    return "".join(text for text in element.itertext() if isinstance(text, str))
