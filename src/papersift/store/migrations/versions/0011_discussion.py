"""Discussion and moderation: comments on papers (threaded), readers' reports of comments, the
moderation log, and submissions a moderator hid.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from papersift.store.schema import comment_reports, comments, moderation_log

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in (comments, comment_reports, moderation_log):
        table.create(bind, checkfirst=True)
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("hidden_at")
    bind = op.get_bind()
    for table in (moderation_log, comment_reports, comments):
        table.drop(bind, checkfirst=True)
