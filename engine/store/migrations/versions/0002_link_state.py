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
    """Each created link gets the fields of the payload its create sent.

    Done intents are read in id order, `BATCH` at a time (by id, so each read starts where
    the last ended), and each batch updates the links it created: memory stays that of one
    batch however large the store. A target created twice keeps the fields of the latest
    create, since the later update comes last; an intent whose link is gone, or was voided
    or removed, updates nothing.
    """
    bind = op.get_bind()
    statement = (links.update()
                 .where(links.c.pipeline == sa.bindparam("p"),
                        links.c.source_id == sa.bindparam("s"),
                        links.c.target_id == sa.bindparam("t"),
                        links.c.state == "synced")
                 .values(payload_fields=sa.bindparam("fields")))
    last_id = None
    while True:
        query = (sa.select(intents.c.id, intents.c.pipeline, intents.c.source_id,
                           intents.c.target_id, intents.c.payload)
                 .where(intents.c.status == "done").order_by(intents.c.id).limit(BATCH))
        if last_id is not None:
            query = query.where(intents.c.id > last_id)
        batch = bind.execute(query).all()
        if not batch:
            return
        bind.execute(statement, [
            {"p": row.pipeline, "s": row.source_id, "t": row.target_id,
             "fields": json.dumps(sorted(_paths(json.loads(row.payload))))}
            for row in batch])
        last_id = batch[-1].id


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
