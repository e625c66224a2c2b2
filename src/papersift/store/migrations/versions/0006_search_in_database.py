"""Search indexes in the database (PostgreSQL only): full-text and pgvector tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from papersift.errors import StoreError
from papersift.store.search_schema import search_metadata

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PGVECTOR_HINT = (
    "the PostgreSQL server lacks the pgvector extension, which papersift's PostgreSQL store "
    "needs: install it on the server (https://github.com/pgvector/pgvector#installation; "
    "managed PostgreSQL offerings ship it)"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite stores keep their indexes as files
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
    ).scalar()
    if not available:
        raise StoreError(PGVECTOR_HINT)
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    search_metadata.create_all(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        search_metadata.drop_all(bind)
