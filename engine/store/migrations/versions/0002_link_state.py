"""Links get an explicit state and the fields of the payload last written.

Until now a voided or removed target was marked by the words "voided" or "removed" in the
link's payload hash. They move to a `state` column ("synced", "voided", "removed") and the
hash of such a link becomes NULL. `payload_fields` lists the key paths the last written
payload set, so an update can clear a field a mapping no longer writes. For links made by a
create, it is filled from that create's intent (the best knowledge there is of what was
sent); adopted links stay NULL (not known) until their next write.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATES = ("voided", "removed")
BATCH = 500

links = sa.table("links", sa.column("pipeline"), sa.column("source_id"),
                 sa.column("target_id"), sa.column("payload_hash"), sa.column("state"),
                 sa.column("payload_fields"))
intents = sa.table("intents", sa.column("id"), sa.column("pipeline"), sa.column("source_id"),
                   sa.column("target_id"), sa.column("payload"), sa.column("status"))


def upgrade() -> None:
    op.add_column("links", sa.Column("state", sa.String(16), nullable=False,
                                     server_default="synced"))
    op.add_column("links", sa.Column("payload_fields", sa.Text))
    op.execute(links.update().where(links.c.payload_hash.in_(STATES))
               .values(state=links.c.payload_hash, payload_hash=None))
    _fill_payload_fields()


def _fill_payload_fields() -> None:
    """Each created link gets the fields of the payload its create sent."""
    bind = op.get_bind()
    sent: dict[tuple[str, str, str], str] = {}
    query = (sa.select(intents.c.pipeline, intents.c.source_id, intents.c.target_id,
                       intents.c.payload)
             .where(intents.c.status == "done").order_by(intents.c.id))
    for row in bind.execute(query):   # the latest create of a target wins
        sent[(row.pipeline, row.source_id, row.target_id)] = json.dumps(
            sorted(_paths(json.loads(row.payload))))
    rows = bind.execute(sa.select(links.c.pipeline, links.c.source_id, links.c.target_id)
                        .where(links.c.state == "synced")).all()
    updates = [{"p": r.pipeline, "s": r.source_id, "fields": sent[key]}
               for r in rows if (key := (r.pipeline, r.source_id, r.target_id)) in sent]
    statement = (links.update()
                 .where(links.c.pipeline == sa.bindparam("p"),
                        links.c.source_id == sa.bindparam("s"))
                 .values(payload_fields=sa.bindparam("fields")))
    for start in range(0, len(updates), BATCH):
        bind.execute(statement, updates[start:start + BATCH])


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """Key paths of a stored payload; a tagged value (`{"$decimal": ...}`) is one value."""
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        path = (*prefix, str(key))
        if item is None:
            continue
        if isinstance(item, dict) and item and not _tagged(item):
            yield from _paths(item, path)
        else:
            yield list(path)


def _tagged(value: dict[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)).startswith("$")


def downgrade() -> None:
    op.execute(links.update().where(links.c.state.in_(STATES))
               .values(payload_hash=links.c.state))
    with op.batch_alter_table("links") as batch:
        batch.drop_column("payload_fields")
        batch.drop_column("state")
