"""Opening a store migrates it; the migrated schema is exactly the declared one."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from ml_connector.engine.errors import StoreError
from ml_connector.engine.store import Link, MasterKey, Store
from ml_connector.engine.store.database import resolve_url
from ml_connector.engine.store.migrate import alembic_config, current_revision, head_revision
from ml_connector.engine.store.tables import metadata

TABLES = {"links", "intents", "cursors", "inbox", "audit", "polls", "secrets",
          "alembic_version"}


def test_fresh_database_is_migrated_to_head(store: Store) -> None:
    with store.database.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        assert set(inspect(conn).get_table_names()) >= TABLES


def test_migrated_schema_equals_declared_tables(store: Store) -> None:
    with store.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrations_downgrade_to_empty_and_back(store: Store) -> None:
    config = alembic_config()
    with store.database.write() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
    with store.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_reopening_keeps_data_and_schema(store_url: str, tmp_path: Path) -> None:
    key = MasterKey.generate()
    with Store.open(store_url, root=tmp_path, master_key=key) as first:
        first.links.put(Link("p", "1", "stripe", "customer", "cus_1", "h"))
    with Store.open(store_url, root=tmp_path, master_key=key) as again:
        assert again.links.get("p", "1") is not None
        with again.database.engine.connect() as conn:
            assert current_revision(conn) == head_revision()


def test_database_from_a_newer_release_is_refused(store_url: str, tmp_path: Path) -> None:
    with Store.open(store_url, root=tmp_path) as store, store.database.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="upgrade ml-connector"):
        Store.open(store_url, root=tmp_path)


def _open_and_report(url: str, root: str, results: multiprocessing.Queue) -> None:
    try:
        Store.open(url, root=Path(root)).close()
        results.put("ok")
    except Exception as exc:  # reported to the parent, which asserts on it
        results.put(repr(exc))


def test_processes_opening_a_fresh_database_together_all_succeed(
        store_url: str, tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_open_and_report, args=(store_url, str(tmp_path), results))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == ["ok"] * 4


def test_postgresql_url_gets_the_psycopg_driver() -> None:
    assert resolve_url("postgresql://u@db/x").drivername == "postgresql+psycopg"
    assert resolve_url("postgres://u@db/x").drivername == "postgresql+psycopg"
    assert resolve_url("postgresql+psycopg://u@db/x").drivername == "postgresql+psycopg"


def test_relative_sqlite_path_is_under_root_and_its_folder_is_created(tmp_path: Path) -> None:
    with Store.open("sqlite:///.ml-connector/state.db", root=tmp_path) as store:
        store.cursors.put("c", "1")
    assert (tmp_path / ".ml-connector" / "state.db").is_file()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    with Store.open("sqlite:///state.db", root=tmp_path) as store, \
            store.database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_unsupported_url_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store.open("mysql://root@localhost/x", root=tmp_path)
    with pytest.raises(StoreError, match="not a database URL"):
        Store.open("not a url", root=tmp_path)


def test_unreachable_postgresql_is_a_store_error_without_password(tmp_path: Path) -> None:
    url = "postgresql://someone:hunter22secret@127.0.0.1:1/nothing?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot open the state store") as caught:
        Store.open(url, root=tmp_path)
    assert "hunter22secret" not in str(caught.value)


def test_in_memory_url_gives_a_private_store_that_threads_can_share() -> None:
    store = Store.open("sqlite://", master_key=MasterKey.generate())
    try:
        def work(n: int) -> None:
            for i in range(10):
                store.cursors.put(f"c{n}", str(i))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert {name: value for name, (value, _) in store.cursors.all().items()} == {
            f"c{n}": "9" for n in range(4)}
    finally:
        store.close()
    with Store.open("sqlite://") as fresh:
        assert fresh.cursors.all() == {}
