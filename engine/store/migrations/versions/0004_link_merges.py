"""Link merges: a link whose source record was merged into another names the survivor.

Revision ID: 0004_link_merges
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_link_merges"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("links", sa.Column("merged_into", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("merged_into")
