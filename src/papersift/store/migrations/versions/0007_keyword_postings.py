"""Keyword search in the database ranks by BM25 over an impact-ordered inverted index
(PostgreSQL only): paper numbers, lengths, length normalisers and each paper's postings on the
entries, term numbers, the postings table, and the SQL functions that define a term's weight in
a paper and a paper's score.

The keyword tables are recreated empty (their index is rebuilt by the next ``papersift index``,
which sees no keyword index state).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from papersift.store.search_schema import keyword_entries, keyword_postings, keyword_terms

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# A term's quantised BM25 term-frequency part in one paper, from its tsvector positions' weights:
# tf counts a title word (weight A) twice, others once; ``norm`` is k1 * (1 - b + b * dl / avgdl).
# The value is round(32767 * tf / (tf + norm)): (k1 + 1) * tf / (tf + norm) scaled to a smallint.
# One SQL expression, so PostgreSQL inlines it, and inserts, deletes and scoring all agree.
IMPACT_FUNCTION = """
CREATE OR REPLACE FUNCTION papersift_impact(weights text[], norm real) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CAST(round(32767 * (cardinality($1) + cardinality(array_positions($1, 'A')))
        / (cardinality($1) + cardinality(array_positions($1, 'A')) + $2)) AS smallint)
$$
"""

# The BM25 score of one paper from its postings (``terms`` and ``impacts`` of its entry) for
# the query's term numbers and weights (idf x occurrences in the query x (k1 + 1) / 32767).
SCORE_FUNCTION = """
CREATE OR REPLACE FUNCTION papersift_bm25(terms integer[], impacts smallint[],
                                          query_terms integer[], query_weights float8[])
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(query.weight * $2[array_position($1, query.term)]), 0)
    FROM unnest($3, $4) AS query(term, weight)
$$
"""

KEYWORD_TABLES = (keyword_postings, keyword_terms, keyword_entries)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite stores keep their indexes as files
    for table in KEYWORD_TABLES:
        table.drop(bind, checkfirst=True)
    op.execute("DELETE FROM search_state WHERE name = 'keyword'")
    for table in reversed(KEYWORD_TABLES):
        table.create(bind)
    op.execute(IMPACT_FUNCTION)
    op.execute(SCORE_FUNCTION)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS papersift_bm25(integer[], smallint[], integer[], float8[])")
    op.execute("DROP FUNCTION IF EXISTS papersift_impact(text[], real)")
    op.execute("DROP TABLE IF EXISTS keyword_postings")
    op.execute("TRUNCATE keyword_entries, keyword_terms")  # 0006's index is rebuilt from scratch
    op.execute("DELETE FROM search_state WHERE name = 'keyword'")
    for column in ("doc", "length", "norm", "terms", "impacts"):
        op.execute(f"ALTER TABLE keyword_entries DROP COLUMN {column}")
    op.execute("ALTER TABLE keyword_terms DROP COLUMN term_id")
