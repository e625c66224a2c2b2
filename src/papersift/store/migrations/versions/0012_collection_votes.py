"""Upvotes of public collections.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from papersift.store.schema import collection_votes

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    collection_votes.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    collection_votes.drop(op.get_bind(), checkfirst=True)
