"""Readers' private notes on papers.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from papersift.store.schema import paper_notes

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    paper_notes.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    paper_notes.drop(op.get_bind(), checkfirst=True)
