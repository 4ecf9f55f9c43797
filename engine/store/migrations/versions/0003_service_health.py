"""Service health: the latest poll of each pipeline, and when each inbox item was settled.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("pipeline", sa.String(200), nullable=False),
        sa.Column("attempted_at", When, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("failures_in_row", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failing_since", When),
        sa.Column("succeeded_at", When),
        sa.PrimaryKeyConstraint("pipeline", name="pk_polls"),
    )
    op.add_column("inbox", sa.Column("settled_at", When))
    op.create_index("ix_inbox_settled_at", "inbox", ["settled_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_settled_at", table_name="inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("settled_at")
    op.drop_table("polls")
