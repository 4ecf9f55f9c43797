"""Bringing a database to the schema this version of the code expects.

`Store.open` calls `upgrade_to_head` every time, so users never run a migration command.
The common case (already at head) is one cheap read. Otherwise the upgrade runs inside one
transaction under a lock, so two processes that open a fresh database at the same moment
take turns: the second finds the work done. PostgreSQL uses a transaction-scoped advisory
lock; SQLite's `BEGIN IMMEDIATE` write lock serves the same purpose.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, func, select

from ml_connector.engine.errors import StoreError
from ml_connector.engine.store.database import Database
from ml_connector.engine.store.locks import advisory_key

MIGRATION_LOCK = "ml_connector.schema-migration"


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    config = Config()
    location = files("ml_connector.engine.store") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the store ships at least one migration"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(db: Database) -> None:
    """Migrate the database to head, taking turns with any other process doing the same."""
    head = head_revision()
    with db.read() as connection:
        if current_revision(connection) == head:
            return
    config = alembic_config()
    with db.write() as connection:
        if db.dialect == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(advisory_key(MIGRATION_LOCK))))
        found = current_revision(connection)
        if found == head:
            return
        _check_known(config, found)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _check_known(config: Config, revision: str | None) -> None:
    """Refuse a database migrated by a newer release instead of failing obscurely."""
    if revision is None:
        return
    try:
        known = ScriptDirectory.from_config(config).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise StoreError(
            f"the state store's schema is at revision {revision!r}, which this version of "
            "ml-connector does not know; a newer release migrated it, so upgrade ml-connector")
