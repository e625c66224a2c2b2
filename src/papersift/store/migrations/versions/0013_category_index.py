"""Category pages without a scan: ``category_papers`` (a paper's categories and archives with
the date it is shown under), filled from the stored papers and kept in step by triggers
(``papersift.store.category_index``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from papersift.store.category_index import install, uninstall

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install(op.get_bind())


def downgrade() -> None:
    uninstall(op.get_bind())
