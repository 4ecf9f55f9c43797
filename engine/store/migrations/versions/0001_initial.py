"""Initial state store: links, intents, cursors, inbox, audit, secrets.

Revision ID: 0001
Revises:
Create Date: 2024-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)
PENDING = sa.text("status = 'pending'")

APPEND_ONLY = "the audit trail is append-only"
PG_AUDIT_GUARD = [
    f"""CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
SQLITE_AUDIT_GUARD = [
    f"""CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"""
    for verb in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    _create_links()
    _create_intents()
    _create_cursors()
    _create_inbox()
    _create_audit()
    _create_secrets()


def _create_links() -> None:
    op.create_table(
        "links",
        sa.Column("pipeline", sa.String(200), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("target_connection", sa.String(200), nullable=False),
        sa.Column("target_entity", sa.String(200), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=False),
        sa.Column("payload_hash", sa.String(128)),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("target_version", sa.String(255)),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("pipeline", "source_id", name="pk_links"),
    )
    op.create_index("ix_links_target_connection_target_entity_target_id", "links",
                    ["target_connection", "target_entity", "target_id"])


def _create_intents() -> None:
    op.create_table(
        "intents",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("pipeline", sa.String(200), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(255)),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intents"),
    )
    op.create_index("uq_intents_pending", "intents", ["pipeline", "source_id"], unique=True,
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index("ix_intents_status", "intents", ["status"])


def _create_cursors() -> None:
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_cursors"),
    )


def _create_inbox() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("record_id", sa.String(255), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("received_at", When, nullable=False),
        sa.Column("available_at", When, nullable=False),
        sa.Column("claimed_by", sa.String(255)),
        sa.Column("lease_until", When),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("connection", "event_id", name="uq_inbox_connection_event_id"),
    )
    op.create_index("ix_inbox_status_available_at", "inbox", ["status", "available_at"])


def _create_audit() -> None:
    op.create_table(
        "audit",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("pipeline", sa.String(200), nullable=False),
        sa.Column("source_ref", sa.String(255)),
        sa.Column("target_ref", sa.String(255)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("request_summary", sa.Text),
        sa.Column("request_ids", sa.Text, nullable=False),
        sa.Column("trigger", sa.String(200)),
        sa.Column("at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_pipeline_at", "audit", ["pipeline", "at"])
    op.create_index("ix_audit_source_ref", "audit", ["source_ref"])
    op.create_index("ix_audit_run_id", "audit", ["run_id"])
    op.create_index("ix_audit_outcome", "audit", ["outcome"])
    guard = PG_AUDIT_GUARD if op.get_bind().dialect.name == "postgresql" else SQLITE_AUDIT_GUARD
    for statement in guard:  # append-only, enforced by the database itself
        op.execute(statement)


def _create_secrets() -> None:
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_secrets"),
    )


def downgrade() -> None:
    for table in ("secrets", "audit", "inbox", "cursors", "intents", "links"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
