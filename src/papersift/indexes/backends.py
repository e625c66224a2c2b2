"""Choosing where the search indexes live: ``files`` in the data directory (tantivy BM25 and a
faiss vector index) or the ``database`` (PostgreSQL full-text search and pgvector)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from papersift.errors import SettingsError
from papersift.indexes.base import KeywordSearchIndex, VectorSearchIndex

INDEX_BACKENDS = ("auto", "files", "database")


def resolve(backend: str, database: Engine) -> str:
    """``auto`` means the database for PostgreSQL stores (shared by every worker and machine)
    and files for SQLite stores."""
    if backend not in INDEX_BACKENDS:
        raise SettingsError(f"unknown index backend {backend!r}; choose one of {INDEX_BACKENDS}")
    postgres = database.dialect.name == "postgresql"
    if backend == "auto":
        return "database" if postgres else "files"
    if backend == "database" and not postgres:
        raise SettingsError(
            "PAPERSIFT_INDEX_BACKEND=database needs a PostgreSQL store "
            "(PAPERSIFT_DATABASE_URL=postgresql://...); SQLite stores keep indexes as files"
        )
    return backend


def open_indexes(
    backend: str, index_dir: Path, database: Engine, *, keyword_accelerator: str = "auto"
) -> tuple[KeywordSearchIndex, VectorSearchIndex]:
    if resolve(backend, database) == "database":
        from papersift.indexes.pg_keyword import DatabaseKeywordIndex
        from papersift.indexes.pg_vector import DatabaseVectorIndex

        return DatabaseKeywordIndex(database), DatabaseVectorIndex(database)
    from papersift.indexes.keyword import KeywordIndex
    from papersift.indexes.vector import VectorIndex

    keyword = KeywordIndex(index_dir / "keyword", accelerator=keyword_accelerator)
    return keyword, VectorIndex(index_dir / "vector")
