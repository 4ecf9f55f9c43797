"""Alembic environment of the state store.

`Store.open` runs the upgrade itself and hands over a connection that already holds the
migration lock and an open transaction (`config.attributes["connection"]`); Alembic then
runs inside that transaction and the caller commits. For development
(`alembic revision --autogenerate`), a `sqlalchemy.url` in the Alembic config is used instead.
"""

from __future__ import annotations

from alembic import context

from ml_connector.engine.store.database import create_store_engine, resolve_url
from ml_connector.engine.store.tables import metadata

config = context.config


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_with(connection: object) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = create_store_engine(resolve_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.begin() as owned:
        run_with(owned)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
