"""Covering indexes for the managers' indicators: the register and the
digitized records are read from one index each, never from the table

Revision ID: 0005_indicator_indexes
Revises: 0004_managers
"""

from __future__ import annotations

from alembic import op

revision = "0005_indicator_indexes"
down_revision = "0004_managers"
branch_labels = None
depends_on = None

REGISTER = ("received_on", "unit", "procedure", "first_digitized_on", "result_issued_on")
RECORDS = ("digitized_on", "unit", "procedure", "pages", "mean_ocr_confidence", "needs_review")


def upgrade() -> None:
    # Each replaces an index on its first column alone.
    with op.batch_alter_table("register_dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_register_dossiers_received_on")
        batch_op.create_index("ix_register_dossiers_indicators", list(REGISTER), unique=False)
    with op.batch_alter_table("digitized_records", schema=None) as batch_op:
        batch_op.drop_index("ix_digitized_records_digitized_on")
        batch_op.create_index("ix_digitized_records_indicators", list(RECORDS), unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digitized_records", schema=None) as batch_op:
        batch_op.drop_index("ix_digitized_records_indicators")
        batch_op.create_index("ix_digitized_records_digitized_on", ["digitized_on"], unique=False)
    with op.batch_alter_table("register_dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_register_dossiers_indicators")
        batch_op.create_index("ix_register_dossiers_received_on", ["received_on"], unique=False)
