"""Abuse limits: one counter a key (sign-ups, logins, mailed links per client and per target),
taken atomically by every worker and machine (``papersift.store.limits``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from papersift.store.limits import rate_limits

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rate_limits.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    rate_limits.drop(op.get_bind(), checkfirst=True)
