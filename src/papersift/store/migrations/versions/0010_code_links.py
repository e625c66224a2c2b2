"""Papers record the first code repository their abstract or comments link to (``code_url``),
for the "has code" filter; papers already stored get theirs here, in batches.

The whole migration is one transaction: interrupted, it leaves the store as it was and runs
again next time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from papersift.links import first_repository

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("code_url", sa.String(512), nullable=True))
    papers = sa.table(
        "papers",
        sa.column("id", sa.String),
        sa.column("abstract", sa.Text),
        sa.column("comments", sa.Text),
        sa.column("code_url", sa.String),
    )
    connection = op.get_bind()
    after = ""
    while True:
        rows = connection.execute(
            sa.select(papers.c.id, papers.c.abstract, papers.c.comments)
            .where(papers.c.id > after)
            .order_by(papers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        found = [
            {"key": row.id, "code_url": url}
            for row in rows
            if (url := first_repository(row.abstract, row.comments))
        ]
        if found:
            connection.execute(
                papers.update().where(papers.c.id == sa.bindparam("key")),
                found,
            )
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("code_url")
