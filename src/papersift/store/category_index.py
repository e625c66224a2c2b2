"""Papers by category, newest first: what category pages list, without reading every paper.

One row per paper and category *key*: each of its categories (``cs.LG``) and each archive they
belong to (``cs``), with the date the paper is shown under (listed, else submitted). The primary
key and the index (key, shown, paper_id) make a category page's count an index range and its
page (any page number) a short walk of that range. Triggers on ``papers`` keep the rows in step
with every insert, update and delete, however a paper is written (ingest, submissions, merges,
``migrate-store``); migration 0013 creates them and fills the table from the stored papers.
The rows are derived: ``migrate-store`` does not copy them (the target's triggers make them).
"""

from __future__ import annotations

import sqlalchemy as sa

category_metadata = sa.MetaData()

category_papers = sa.Table(
    "category_papers",
    category_metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("paper_id", sa.String(64), primary_key=True),
    sa.Column("shown", sa.Date),
    sa.Index("ix_category_papers_key_shown", "key", "shown", "paper_id"),
    sa.Index("ix_category_papers_paper", "paper_id"),
)

# SQLite: the keys of NEW's categories (each category, and the archive before its first dot).
_SQLITE_KEYS = """
    INSERT OR IGNORE INTO category_papers (key, paper_id, shown)
    SELECT value, NEW.id, coalesce(NEW.listed, NEW.submitted)
    FROM json_each(CASE WHEN json_valid(NEW.categories) THEN NEW.categories ELSE '[]' END)
    WHERE type = 'text'
    UNION
    SELECT substr(value, 1, instr(value, '.') - 1), NEW.id, coalesce(NEW.listed, NEW.submitted)
    FROM json_each(CASE WHEN json_valid(NEW.categories) THEN NEW.categories ELSE '[]' END)
    WHERE type = 'text' AND instr(value, '.') > 1;
"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS papers_category_insert AFTER INSERT ON papers
    BEGIN {_SQLITE_KEYS} END""",
    f"""CREATE TRIGGER IF NOT EXISTS papers_category_update
    AFTER UPDATE OF categories, listed, submitted ON papers
    BEGIN DELETE FROM category_papers WHERE paper_id = OLD.id; {_SQLITE_KEYS} END""",
    """CREATE TRIGGER IF NOT EXISTS papers_category_delete AFTER DELETE ON papers
    BEGIN DELETE FROM category_papers WHERE paper_id = OLD.id; END""",
]

SQLITE_FILL = """
    INSERT OR IGNORE INTO category_papers (key, paper_id, shown)
    SELECT keys.value, papers.id, coalesce(papers.listed, papers.submitted)
    FROM papers, json_each(CASE WHEN json_valid(papers.categories) THEN papers.categories
                                ELSE '[]' END) AS keys
    WHERE keys.type = 'text'
    UNION
    SELECT substr(keys.value, 1, instr(keys.value, '.') - 1), papers.id,
           coalesce(papers.listed, papers.submitted)
    FROM papers, json_each(CASE WHEN json_valid(papers.categories) THEN papers.categories
                                ELSE '[]' END) AS keys
    WHERE keys.type = 'text' AND instr(keys.value, '.') > 1
"""

_PG_KEYS = """
    SELECT DISTINCT key FROM (
        SELECT value AS key FROM json_array_elements_text(
            CASE WHEN json_typeof({cats}) = 'array' THEN {cats} ELSE '[]'::json END)
        UNION
        SELECT split_part(value, '.', 1) FROM json_array_elements_text(
            CASE WHEN json_typeof({cats}) = 'array' THEN {cats} ELSE '[]'::json END)
        WHERE position('.' in value) > 1
    ) AS keys
"""

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION papersift_category_papers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN
        DELETE FROM category_papers WHERE paper_id = OLD.id;
    END IF;
    IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
        INSERT INTO category_papers (key, paper_id, shown)
        SELECT key, NEW.id, coalesce(NEW.listed, NEW.submitted)
        FROM ({_PG_KEYS.format(cats="NEW.categories")}) AS found
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$
"""

POSTGRES_TRIGGER = """
CREATE TRIGGER papers_category_papers
AFTER INSERT OR DELETE OR UPDATE OF categories, listed, submitted ON papers
FOR EACH ROW EXECUTE FUNCTION papersift_category_papers()
"""

POSTGRES_FILL = f"""
INSERT INTO category_papers (key, paper_id, shown)
SELECT found.key, papers.id, coalesce(papers.listed, papers.submitted)
FROM papers, LATERAL ({_PG_KEYS.format(cats="papers.categories")}) AS found
ON CONFLICT DO NOTHING
"""


def install(bind: sa.Connection) -> None:
    """Create the table, fill it from the stored papers and keep it filled (triggers)."""
    category_papers.create(bind, checkfirst=True)
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(POSTGRES_FUNCTION))
        bind.execute(sa.text("DROP TRIGGER IF EXISTS papers_category_papers ON papers"))
        bind.execute(sa.text(POSTGRES_TRIGGER))
        bind.execute(sa.text(POSTGRES_FILL))
    else:
        for trigger in SQLITE_TRIGGERS:
            bind.execute(sa.text(trigger))
        bind.execute(sa.text(SQLITE_FILL))


def uninstall(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("DROP TRIGGER IF EXISTS papers_category_papers ON papers"))
        bind.execute(sa.text("DROP FUNCTION IF EXISTS papersift_category_papers()"))
    else:
        for name in ("insert", "update", "delete"):
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS papers_category_{name}"))
    category_papers.drop(bind, checkfirst=True)
