"""Finding stored papers by DOI (reference-manager imports name papers by DOI)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.schema import papers

_CHUNK = 500  # DOIs per IN (...) query


def ids_by_doi(db: Engine, dois: Sequence[str]) -> dict[str, str]:
    """``{doi in lower case: paper id}`` for the stored papers with one of ``dois`` (compared
    without case). The column has no index: a query reads the table once, fine for an import."""
    wanted = sorted({doi.lower() for doi in dois if doi})
    found: dict[str, str] = {}
    with db.connect() as connection:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = connection.execute(
                sa.select(papers.c.doi, papers.c.id)
                .where(sa.func.lower(papers.c.doi).in_(chunk))
                .order_by(papers.c.id)
            )
            for doi, paper_id in rows:
                found.setdefault(doi.lower(), paper_id)
    return found
