"""The declared schema of the state store.

These `Table` objects are what the repositories query, and what the migrations must build:
a test compares the migrated database with this metadata, so the two cannot drift apart.
The database itself is only ever created and changed by the Alembic migrations.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ml_connector.engine.store.types import JsonText, UtcDateTime

# Explicit names keep constraints identical on SQLite and PostgreSQL and in migrations.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
})

# A 64-bit id on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
Id = BigInteger().with_variant(Integer(), "sqlite")

NAME = 200      # pipeline, connection and entity names
REF = 255       # record ids of external systems

links = Table(
    "links", metadata,
    Column("pipeline", String(NAME), primary_key=True),
    Column("source_id", String(REF), primary_key=True),
    Column("target_connection", String(NAME), nullable=False),
    Column("target_entity", String(NAME), nullable=False),
    Column("target_id", String(REF), nullable=False),
    Column("payload_hash", String(128)),
    Column("generation", Integer, nullable=False, server_default="0"),
    Column("target_version", String(REF)),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("state", String(16), nullable=False, server_default="synced"),
    Column("payload_fields", JsonText),
    Column("merged_into", String(REF)),
    Index(None, "target_connection", "target_entity", "target_id"),
)

intents = Table(
    "intents", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("pipeline", String(NAME), nullable=False),
    Column("source_id", String(REF), nullable=False),
    Column("idempotency_key", String(REF), nullable=False),
    Column("payload", JsonText, nullable=False),
    Column("status", String(16), nullable=False),
    Column("target_id", String(REF)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # At most one pending intent per source record, enforced by the database so that two
    # workers racing to create the same record cannot both start a create.
    Index("uq_intents_pending", "pipeline", "source_id", unique=True,
          sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
    Index(None, "status"),
)

cursors = Table(
    "cursors", metadata,
    Column("name", String(REF), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

inbox = Table(
    "inbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("connection", String(NAME), nullable=False),
    Column("event_id", String(REF), nullable=False),
    Column("entity", String(NAME), nullable=False),
    Column("record_id", String(REF), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("payload", JsonText, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("received_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(REF)),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    # When the item left the queue for good (done or dead): how `/healthz` and `status` tell
    # an inbox being drained from one that only grows.
    Column("settled_at", UtcDateTime),
    UniqueConstraint("connection", "event_id"),
    Index(None, "status", "available_at"),
    Index(None, "settled_at"),
)

audit = Table(
    "audit", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", String(REF), nullable=False),
    Column("pipeline", String(NAME), nullable=False),
    Column("source_ref", String(REF)),
    Column("target_ref", String(REF)),
    Column("action", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("error", Text),
    Column("request_summary", JsonText),
    Column("request_ids", JsonText, nullable=False),
    Column("trigger", String(NAME)),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "pipeline", "at"),
    Index(None, "source_ref"),
    Index(None, "run_id"),
    Index(None, "outcome"),
)

# The latest scheduled poll of each pipeline, and how many in a row have failed: `serve`
# writes it, `status` (another process) and `/healthz` read it, so one failed poll and polls
# that keep failing are told apart, and both survive a restart.
polls = Table(
    "polls", metadata,
    Column("pipeline", String(NAME), primary_key=True),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("error", Text),
    Column("failures_in_row", Integer, nullable=False, server_default="0"),
    Column("failing_since", UtcDateTime),
    Column("succeeded_at", UtcDateTime),
)

secrets = Table(
    "secrets", metadata,
    Column("name", String(REF), primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
