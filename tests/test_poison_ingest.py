"""A 12,000-line file with five poison records scattered in it: the rest is stored and found.

Before the readers validated every field, one such record aborted ``papersift ingest`` (exit
2, only the first 5,000-paper batch stored, the keyword index never built, and a re-run did the
same). Now each poison record is reported with its line number and skipped, every other record
is stored and indexed, and the exit code is 0: skipped records are reported on stderr and counted
in the summary ("5 malformed skipped"), not turned into a failure (``--strict`` is the mode that
refuses the whole file instead, exit 1).

The file is built here from small generated records in three of the JSON-lines formats (the
arXiv sample format, the Kaggle snapshot and papersift's own export format), so the test needs
no shared data.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from papersift.cli import main
from papersift.engine import Engine
from papersift.settings import Settings

LINES = 12_000
# line number -> (poison record maker, the start of the reason it is reported with)
POISON_LINES = (3, 4_999, 7_000, 10_001, 12_000)
KAGGLE_DATE = "Mon, 2 Apr 2007 19:18:42 GMT"


def paper_id(line: int) -> str:
    return f"2501.{line:05d}"


def word(line: int) -> str:
    """A made-up word unique to the line (letters only, so the tokenizer keeps it whole)."""
    letters = string.ascii_lowercase
    a, rest = divmod(line, 26 * 26)
    b, c = divmod(rest, 26)
    return f"xq{letters[a]}{letters[b]}{letters[c]}z"


def good_record(line: int) -> dict[str, Any]:
    """A small record in the sample, Kaggle or own format, by line."""
    title = f"Notes on {word(line)} kernels"
    match line % 3:
        case 0:
            return {
                "id": paper_id(line),
                "title": title,
                "abstract": "A short abstract.",
                "authors": ["Ada Lovelace"],
                "categories": ["cs.CL"],
                "date": "2025-03-18",
            }
        case 1:
            return kaggle(line, title=title)
        case _:
            return own(line, title=title)


def kaggle(line: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": paper_id(line),
        "submitter": "Ada Lovelace",
        "authors": "Ada Lovelace, Charles Babbage",
        "title": "A Kaggle record",
        "categories": "cs.LG stat.ML",
        "abstract": "  A short abstract.\n",
        "versions": [{"version": "v1", "created": KAGGLE_DATE}],
        "update_date": "2025-03-20",
        "authors_parsed": [["Lovelace", "Ada", ""], ["Babbage", "Charles", ""]],
    }
    return record | changes


def own(line: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": paper_id(line),
        "title": "An exported record",
        "abstract": "A short abstract.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.AI"],
        "version": 1,
        "submitted": "2025-03-17",
        "updated": None,
        "listed": "2025-03-18",
        "doi": None,
        "journal_ref": None,
        "comments": None,
        "license": None,
        "source": "arxiv",
        "versions": [{"version": 1, "created": "2025-03-17T10:00:00+00:00"}],
    }
    return record | changes


def poison_records() -> dict[int, tuple[bytes, str]]:
    """The five poison records of the issue, by line, with the reason each is reported with."""
    late = "Fri, 31 Dec 9999 23:59:59 -0100"
    records: list[tuple[dict[str, Any], str]] = [
        # 1. a version label str.isdigit() takes and int() refuses
        (kaggle(3, versions=[{"version": "v²", "created": KAGGLE_DATE}]), "bad version 'v²'"),
        # 1. more digits than int() converts (4,300)
        (kaggle(4_999, versions=[{"version": "v" + "7" * 5000, "created": ""}]), "bad version"),
        # 3. an email date out of datetime's range once in UTC
        (kaggle(7_000, versions=[{"version": "v1", "created": late}]), f"bad date '{late}'"),
        # 4. an ISO date out of datetime's range once in UTC
        (
            own(10_001, versions=[{"version": 1, "created": "0001-01-01T00:00:00+05:00"}]),
            "bad version date '0001-01-01T00:00:00+05:00'",
        ),
        # 5. a version number no store can hold (SQLite stops at 2**63 - 1)
        (own(12_000, version=2**63), "version must be a whole number from 1 to 9999"),
    ]
    return {
        line: (orjson.dumps(record), reason)
        for line, (record, reason) in zip(POISON_LINES, records, strict=True)
    }


@pytest.fixture(scope="module")
def poisoned_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    poison = poison_records()
    lines = [
        poison[line][0] if line in poison else orjson.dumps(good_record(line))
        for line in range(1, LINES + 1)
    ]
    path = tmp_path_factory.mktemp("poison") / "papers.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def ingest(data_dir: Path, path: Path) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), "ingest", str(path)])


@pytest.mark.slow
def test_poison_records_are_reported_and_every_other_record_is_stored_and_found(
    poisoned_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")
    data_dir = tmp_path / "data"
    good = LINES - len(POISON_LINES)

    result = ingest(data_dir, poisoned_file)
    assert result.exit_code == 0, result.output
    assert f"{LINES - 5:,} records: {good:,} added" in result.stdout
    assert f"5 malformed skipped; {good:,} indexed" in result.stdout
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    expected = [
        f"skipped {poisoned_file}: line {line}: {reason}"
        for line, (_record, reason) in poison_records().items()
    ]
    assert len(skipped) == len(expected), result.stderr
    for reported, prefix in zip(skipped, expected, strict=True):
        assert reported.startswith(prefix), (reported, prefix)
        assert len(reported) < len(prefix) + 150  # the 5,000-digit label is cut short

    engine = Engine(Settings(data_dir=data_dir, embedder_backend="none"))
    try:
        assert engine.papers.count() == good
        stored = engine.papers.get_many([paper_id(n) for n in range(1, LINES + 1)])
        assert set(stored) == {paper_id(n) for n in range(1, LINES + 1)} - {
            paper_id(n) for n in POISON_LINES
        }
        for line in range(1, LINES + 1):
            if line in POISON_LINES:
                continue
            hits = engine.search(word(line), k=2)
            assert [hit.paper.id for hit in hits] == [paper_id(line)], line
    finally:
        engine.close()

    again = ingest(data_dir, poisoned_file)
    assert again.exit_code == 0, again.output
    assert f"{good:,} unchanged" in again.stdout and "5 malformed skipped" in again.stdout
