"""Baseline: an empty database that Alembic manages.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
