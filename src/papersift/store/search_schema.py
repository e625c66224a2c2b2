"""The search indexes' tables, on PostgreSQL only: full-text entries, pgvector entries and
their state. SQLite deployments keep their indexes as files in the data directory instead.

``keyword_entries.document`` is the weighted tsvector (title A, abstract B, authors C) that
keyword search matches and ranks; ``authors`` (the 'simple' configuration, unstemmed) serves
author filters. ``keyword_terms`` counts the papers holding each lexeme, for the ranking's idf.
``vector_entries.embedding`` is an untyped pgvector column: the HNSW index is built over an
expression fixing the dimension of the embedder in use (pgvector's way to index one dimension).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Date, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.types import UserDefinedType

search_metadata = MetaData()


class Vector(UserDefinedType[Any]):
    """pgvector's ``vector`` type, without a fixed dimension."""

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "vector"


ischema_names["vector"] = Vector  # so reflection (schema checks) knows the type

search_state = Table(
    "search_state",
    search_metadata,
    Column("name", String(32), primary_key=True),
    Column("meta", JSON, nullable=False),
)

keyword_entries = Table(
    "keyword_entries",
    search_metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("document", TSVECTOR, nullable=False),
    Column("authors", TSVECTOR, nullable=False),
    Column("categories", ARRAY(Text), nullable=False),
    Column("day", Date),
    Index("keyword_entries_document", "document", postgresql_using="gin"),
    Index("keyword_entries_authors", "authors", postgresql_using="gin"),
    Index("keyword_entries_categories", "categories", postgresql_using="gin"),
    Index("keyword_entries_day", "day"),
)

keyword_terms = Table(
    "keyword_terms",
    search_metadata,
    Column("lexeme", Text, primary_key=True),
    Column("documents", Integer, nullable=False),
)

vector_entries = Table(
    "vector_entries",
    search_metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("embedding", Vector(), nullable=False),
    Column("categories", ARRAY(Text), nullable=False),
    Column("day", Date),
    Index("vector_entries_categories", "categories", postgresql_using="gin"),
    Index("vector_entries_day", "day"),
)
