"""Opening the database: URL rules, SQLite settings, and the two kinds of transaction.

SQLite is the zero-install default, shared by several threads and processes, so every
connection runs in WAL mode (readers never block the writer) with a busy timeout (a writer
waits for the other writer instead of failing). Write transactions start with
`BEGIN IMMEDIATE`: they take the write lock up front, so a transaction that reads and then
writes can never fail half-way with "database is locked" because another writer got in
between. Read transactions use a plain deferred `BEGIN` and run alongside the writer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ml_connector.engine.errors import StoreError

BUSY_TIMEOUT_SECONDS = 30
_READ_ONLY = "ml_connector_read_only"


def resolve_url(url: str, root: Path | None = None) -> URL:
    """The SQLAlchemy URL to connect to.

    `postgresql://` and `postgres://` get the psycopg 3 driver; a relative SQLite path is
    taken relative to `root` (the project folder, else the working directory), and its parent
    folder is created (0700) so the first run needs no setup.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"the state store URL {url!r} is not a database URL: {exc}") from exc
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"the state store URL {url!r} names an unsupported database; use "
            "sqlite:///path/to/state.db or postgresql://user@host/dbname")
    if parsed.get_backend_name() != "sqlite" or is_memory(parsed):
        return parsed
    path = Path(parsed.database or "").expanduser()
    if not path.is_absolute():
        path = (root or Path.cwd()) / path
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of the state store {path}: "
                         f"{exc.strerror}") from exc
    return parsed.set(database=str(path))


def _create_private(path: Path) -> None:
    """Create the store file readable by its owner only, before SQLite creates it 0644.

    The store holds customer names, e-mails and addresses. SQLite gives its journal and WAL
    files the database file's mode, so creating the file 0600 keeps all of them private; an
    existing file is left as its owner set it.
    """
    try:
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise StoreError(f"cannot create the state store {path}: {exc.strerror}") from exc


def is_memory(url: URL) -> bool:
    """True for an in-memory SQLite URL (`sqlite://` or `sqlite:///:memory:`)."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_store_engine(url: URL) -> Engine:
    """An engine configured for the store's concurrency rules on this backend."""
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if not is_memory(url):
        _create_private(Path(url.database or ""))
    engine = create_engine(url, connect_args={
        "check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS})
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """Take transaction control from pysqlite and emit our own BEGIN (see module doc)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not BEGIN on its own
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """An engine plus the two transaction shapes every repository uses."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back on error."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction that does not take SQLite's write lock."""
        with self.engine.connect() as connection:
            connection.execution_options(**{_READ_ONLY: True})
            try:
                yield connection
            finally:
                connection.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


def upsert(connection: Connection, table: Table, values: Mapping[str, Any],
           keys: Sequence[str], *, on_conflict: Mapping[str, Any] | None = None) -> None:
    """Insert `values`, or update the row that has the same `keys`, in one statement.

    An existing row takes `values`, except for the columns `on_conflict` names: those get
    its expressions, which may read the row's current values (a counter adding one).
    """
    statement = _dialect_insert(connection, table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    changes.update(on_conflict or {})
    connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


def insert_if_absent(connection: Connection, table: Table, values: Mapping[str, Any],
                     keys: Sequence[str]) -> None:
    """Insert `values` unless a row with the same `keys` exists; never an error for a race."""
    statement = _dialect_insert(connection, table).values(**values)
    connection.execute(statement.on_conflict_do_nothing(index_elements=list(keys)))


def _dialect_insert(connection: Connection, table: Table) -> Any:
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the store supports SQLite and PostgreSQL only
        raise StoreError(f"unsupported database {connection.dialect.name!r}")
    return insert(table)
