from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import orjson
import pytest

from papersift.errors import PapersiftError, UnknownFormatError
from papersift.model import Paper
from papersift.sources.detect import detect_format, read_path

ATOM = b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"></feed>'
OAI = b'<?xml version="1.0"?>\n<!-- c --><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"/>'
ABS = b"-----\n\\\\\narXiv:0704.0001\nTitle: T\n\\\\\n  A\n\\\\\n"
JSONL = orjson.dumps({"id": "2503.11677", "title": "T", "abstract": "A"}) + b"\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.jsonl", JSONL, "jsonl"),
        ("a.txt", JSONL, "jsonl"),
        ("empty.jsonl", b"", "jsonl"),
        ("a.json", b"[]", "jsonl"),
        ("a.xml", ATOM, "atom"),
        ("a.xml", OAI, "oai"),
        ("weird.dat", OAI, "oai"),
        ("0704.0001.abs", ABS, "abs"),
        ("0704.0001", ABS, "abs"),
    ],
)
def test_detects_by_content_then_extension(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected
    gz = tmp_path / f"{name}.gz"
    gz.write_bytes(gzip.compress(content))
    assert detect_format(gz) == expected


def test_unknown_file_names_what_was_seen(tmp_path: Path) -> None:
    path = tmp_path / "qrels.tsv"
    path.write_bytes(b"1\t2\t1\n")
    with pytest.raises(UnknownFormatError, match=r"qrels\.tsv: cannot tell its format.*1\\t2"):
        detect_format(path)
    with pytest.raises(UnknownFormatError):
        list(read_path(path))


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(PapersiftError, match="no such file or directory"):
        list(read_path(tmp_path / "nope.jsonl"))


def test_directory_walk(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "oai.xml").write_bytes(OAI)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(JSONL))
    (tmp_path / "c.abs").write_bytes(ABS)
    (tmp_path / ".hidden" / "x.jsonl").write_bytes(JSONL)
    (tmp_path / ".x.jsonl").write_bytes(JSONL)
    (tmp_path / "notes.txt").write_bytes(b"hello")
    records = list(read_path(tmp_path))
    assert [r.id for r in records if isinstance(r, Paper)] == ["2503.11677", "0704.0001"]
    assert len(records) == 2


def test_beir_queries_are_skipped_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_bytes(orjson.dumps({"_id": "1", "title": "T", "text": "B"}))
    (tmp_path / "queries.jsonl").write_bytes(orjson.dumps({"_id": "q1", "text": "claim"}))
    assert [r.id for r in read_path(tmp_path) if isinstance(r, Paper)] == [
        f"{tmp_path.name.lower()}:1"
    ]


def test_shared_data_directories(shared_data: Path) -> None:
    fixtures = Counter(type(r).__name__ for r in read_path(shared_data / "arxiv-fixtures"))
    assert fixtures == {"Paper": 46}
    scifact = Counter(type(r).__name__ for r in read_path(shared_data / "scifact"))
    assert scifact == {"Paper": 5183}
