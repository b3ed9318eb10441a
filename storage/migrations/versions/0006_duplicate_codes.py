"""A duplicate file's own dossier code in the batch history

Revision ID: 0006_duplicate_codes
Revises: 0005_indicator_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_duplicate_codes"
down_revision = "0005_indicator_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_run_files") as batch:
        batch.add_column(
            sa.Column("dossier_code", sa.String(length=80), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("batch_run_files") as batch:
        batch.drop_column("dossier_code")
