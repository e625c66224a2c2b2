"""Interests and alerts: "not interested" marks, saved-search names and progress, alert
matches, and trained per-user recommendation models.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dismissals",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id"), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("saved_searches") as batch:
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("checked_rev", sa.BigInteger, nullable=False, server_default="0")
        )
    op.create_table(
        "alert_matches",
        sa.Column(
            "saved_search_id",
            sa.Integer,
            sa.ForeignKey("saved_searches.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id"), primary_key=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "user_models",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("signals_key", sa.String(64), nullable=False),
        sa.Column("model", sa.LargeBinary, nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_models")
    op.drop_table("alert_matches")
    with op.batch_alter_table("saved_searches") as batch:
        batch.drop_column("checked_rev")
        batch.drop_column("name")
    op.drop_table("dismissals")
