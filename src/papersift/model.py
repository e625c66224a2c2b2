"""The paper record shared by every layer."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

import orjson

# The highest version number papersift takes: the same bound as arXiv ids' "v1".."v9999".
# arXiv's most revised papers have a few dozen versions; anything larger is a damaged record
# (and numbers from 2**63 up cannot be stored at all).
MAX_VERSION = 9_999
# The dates papersift takes (submission, update, listing, version dates). The keyword index
# (tantivy) holds dates from 1677-09-21 to 2262-04-11 only, and scholarly papers begin in the
# 1660s; a date outside these bounds is a damaged record, refused when read.
EARLIEST_DATE = date(1800, 1, 1)
LATEST_DATE = date(2199, 12, 31)


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a paper: its number and when it was submitted (UTC, when known)."""

    number: int
    created: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.number,
            "created": self.created.isoformat() if self.created else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Version:
        created = data.get("created")
        return cls(int(data["version"]), datetime.fromisoformat(created) if created else None)


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper as papersift stores it.

    ``id`` is the arXiv id without version for arXiv papers (``2503.11677``, ``hep-th/9901001``)
    and a namespaced id (``scifact:4983``, ``seed:fde0b046e9``) for anything else. Text fields hold
    the original text for display; search indexes normalise it themselves (``papersift.text``).
    """

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary first
    version: int = 1
    submitted: date | None = None  # first version
    updated: date | None = None  # latest version
    listed: date | None = None  # daily listing / announce date, when known
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    source: str = "arxiv"
    versions: tuple[Version, ...] = field(default=())

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def display_date(self) -> date | None:
        """The date a reader sees and date filters use: listing, else first submission."""
        return self.listed or self.submitted or self.updated

    def to_dict(self) -> dict[str, Any]:
        """Our own export format (one JSON object per line in JSONL exports)."""
        data = asdict(self)
        data["authors"] = list(self.authors)
        data["categories"] = list(self.categories)
        data["versions"] = [v.to_dict() for v in self.versions]
        for name in ("submitted", "updated", "listed"):
            value = data[name]
            data[name] = value.isoformat() if value else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        """Inverse of ``to_dict``; raises KeyError/ValueError/TypeError on bad data."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["authors"] = tuple(values.get("authors") or ())
        values["categories"] = tuple(values.get("categories") or ())
        values["versions"] = tuple(Version.from_dict(v) for v in values.get("versions") or ())
        for name in ("submitted", "updated", "listed"):
            value = values.get(name)
            values[name] = date.fromisoformat(value) if value else None
        return cls(**values)

    def content_hash(self) -> str:
        """A stable digest of everything stored, used to skip unchanged re-ingests."""
        payload = orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)
        return hashlib.blake2b(payload, digest_size=16).hexdigest()

    def with_changes(self, **changes: Any) -> Paper:
        return replace(self, **changes)
