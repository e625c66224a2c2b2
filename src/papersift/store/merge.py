"""How a newly read record of a paper combines with the one already stored."""

from __future__ import annotations

from dataclasses import fields

from papersift.model import Paper, Version

_KEEP_FIRST_KNOWN = ("listed", "submitted")


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """Merge two records of the same paper.

    The record of the newer version wins field by field; fields it lacks are filled from the other
    record, so a sparse source (a listing sample) never erases what a richer one (OAI) stored.
    The version histories are united, and the first known listing and submission dates are kept.
    """
    newer, older = (incoming, stored) if incoming.version >= stored.version else (stored, incoming)
    merged = {f.name: getattr(newer, f.name) or getattr(older, f.name) for f in fields(Paper)}
    merged["version"] = newer.version
    merged["source"] = newer.source
    merged["versions"] = _union_versions(stored.versions, incoming.versions)
    for name in _KEEP_FIRST_KNOWN:
        known = [d for d in (getattr(stored, name), getattr(incoming, name)) if d is not None]
        merged[name] = min(known) if known else None
    return Paper(**merged)


def _union_versions(a: tuple[Version, ...], b: tuple[Version, ...]) -> tuple[Version, ...]:
    by_number: dict[int, Version] = {}
    for version in (*a, *b):
        known = by_number.get(version.number)
        if known is None or (known.created is None and version.created is not None):
            by_number[version.number] = version
    return tuple(by_number[n] for n in sorted(by_number))
