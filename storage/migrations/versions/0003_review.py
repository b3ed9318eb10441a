"""Review confirmations: a clerk confirmed a flagged record

Revision ID: 0003_review
Revises: 0002_clerks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_review"
down_revision = "0002_clerks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id"),
    )


def downgrade() -> None:
    op.drop_table("review_confirmations")
