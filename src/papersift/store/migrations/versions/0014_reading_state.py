"""Seen and read papers per reader, and whether their lists hide them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from papersift.store.schema import paper_states, reader_settings

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in (paper_states, reader_settings):
        table.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    for table in (reader_settings, paper_states):
        table.drop(op.get_bind(), checkfirst=True)
