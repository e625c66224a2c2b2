"""The search indexes' tables, on PostgreSQL only: full-text entries, pgvector entries and
their state. SQLite deployments keep their indexes as files in the data directory instead.

``keyword_entries.document`` is the weighted tsvector (title A, abstract B, authors C) that
keyword search matches and ranks; ``authors`` (the 'simple' configuration, unstemmed) serves
author filters; ``doc`` is a compact number for the postings, ``length`` the paper's length in
words, ``norm`` its BM25 length normaliser, and ``terms`` and ``impacts`` its postings (term
numbers in order, and the term's weight in the paper) to score a given paper quickly.
``keyword_terms`` counts the papers holding each lexeme, for the ranking's idf.
``keyword_postings`` is the impact-ordered inverted index: one row
per (term, paper) with the term's quantised BM25 term-frequency part in that paper, so the
papers where a term weighs most are the first rows of its index range.
``vector_entries.embedding`` is an untyped pgvector column: the HNSW index is built over an
expression fixing the dimension of the embedder in use (pgvector's way to index one dimension).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    REAL,
    Column,
    Date,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
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
    Column("doc", Integer, Identity(), nullable=False),
    Column("document", TSVECTOR, nullable=False),
    Column("authors", TSVECTOR, nullable=False),
    Column("categories", ARRAY(Text), nullable=False),
    Column("day", Date),
    Column("length", Integer, nullable=False),
    Column("norm", REAL, nullable=False),
    Column("terms", ARRAY(Integer), nullable=False),
    Column("impacts", ARRAY(SmallInteger), nullable=False),
    Index("keyword_entries_doc", "doc", unique=True),
    Index("keyword_entries_document", "document", postgresql_using="gin"),
    Index("keyword_entries_authors", "authors", postgresql_using="gin"),
    Index("keyword_entries_categories", "categories", postgresql_using="gin"),
    Index("keyword_entries_day", "day"),
)

keyword_terms = Table(
    "keyword_terms",
    search_metadata,
    Column("lexeme", Text, primary_key=True),
    Column("term_id", Integer, Identity(), nullable=False),
    Column("documents", Integer, nullable=False),
)

keyword_postings = Table(
    "keyword_postings",
    search_metadata,
    Column("term_id", Integer, nullable=False),
    Column("impact", SmallInteger, nullable=False),
    Column("doc", Integer, nullable=False),
    Index("keyword_postings_by_impact", "term_id", "impact", "doc", unique=True),
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
