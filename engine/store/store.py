"""`Store`: the one object through which the engine keeps state.

Opening a store connects, migrates the schema to head and wires the repositories; nothing
else in the product talks to the database directly. The master key is loaded only when a
secret is first read or written, so commands that never touch credentials never create or
demand a key.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

from sqlalchemy import literal, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from ml_connector.engine.errors import StoreError
from ml_connector.engine.plugins.protocol import CredentialStore
from ml_connector.engine.store.audit import AuditLog
from ml_connector.engine.store.credentials import ConnectionCredentials, SecretRepository
from ml_connector.engine.store.cursors import CursorRepository
from ml_connector.engine.store.database import (
    Database,
    create_store_engine,
    is_memory,
    resolve_url,
)
from ml_connector.engine.store.inbox import InboxRepository
from ml_connector.engine.store.intents import IntentRepository
from ml_connector.engine.store.links import LinkRepository
from ml_connector.engine.store.locks import AdvisoryLocks, FileLocks
from ml_connector.engine.store.master_key import MasterKey
from ml_connector.engine.store.migrate import upgrade_to_head
from ml_connector.engine.store.polls import PollRepository


class Store:
    """Links, intents, cursors, the webhook inbox, the audit trail, polls and encrypted secrets."""

    def __init__(self, db: Database, *, root: Path, master_key: MasterKey | None,
                 locks: FileLocks | AdvisoryLocks):
        self._db, self.root, self._locks = db, root, locks
        self._master_key = master_key
        self._scratch: Path | None = None
        self._key_guard = threading.Lock()
        self.links = LinkRepository(db)
        self.intents = IntentRepository(db)
        self.cursors = CursorRepository(db)
        self.inbox = InboxRepository(db)
        self.audit = AuditLog(db)
        self.polls = PollRepository(db)
        self.secrets = SecretRepository(db, lambda: self.master_key)

    @classmethod
    def open(cls, url: str, *, master_key: MasterKey | None = None,
             root: Path | None = None) -> Store:
        """Connect to `url`, bring its schema to head, and return the store.

        `root` is the project folder: a relative SQLite path and the default key file are
        found there (the working directory when not given).
        """
        root = Path(root) if root is not None else Path.cwd()
        scratch = None
        resolved = resolve_url(url, root)
        if is_memory(resolved):
            # A private throw-away file behaves exactly like a real store (many connections,
            # WAL, locks), which a single shared in-memory connection cannot.
            scratch = Path(tempfile.mkdtemp(prefix="ml-connector-store-"))
            url = f"sqlite:///{scratch / 'state.db'}"
            resolved = resolve_url(url, root)
        db = Database(create_store_engine(resolved))
        try:
            upgrade_to_head(db)
        except BaseException as exc:
            db.dispose()
            _remove(scratch)
            if isinstance(exc, OperationalError):
                raise StoreError(
                    f"cannot open the state store at {_safe(url)}: {exc.orig}") from exc
            raise
        store = cls(db, root=root, master_key=master_key, locks=_locks_for(db, resolved))
        store._scratch = scratch
        return store

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._db.dialect

    @property
    def database(self) -> Database:
        """The underlying database, for store maintenance code and tests."""
        return self._db

    def ping(self) -> None:
        """Raise unless the database answers a query: what storing a webhook needs first."""
        with self._db.read() as connection:
            connection.execute(select(literal(1))).scalar_one()

    @property
    def master_key(self) -> MasterKey:
        """The key sealing secrets: as given to `open`, else from the env var or key file."""
        with self._key_guard:
            if self._master_key is None:
                self._master_key = MasterKey.load(self.root)
            return self._master_key

    def use_master_key(self, key: MasterKey) -> None:
        """Seal and open secrets with `key` from now on (key rotation uses this)."""
        with self._key_guard:
            self._master_key = key

    def credentials(self, connection: str) -> CredentialStore:
        """The credential store a connector of `connection` reads and writes."""
        return ConnectionCredentials(self, connection)

    def lock(self, name: str, *, timeout: float = 30) -> AbstractContextManager[None]:
        """Mutual exclusion by name across threads and processes sharing this store.

        Raises `LockTimeout` (a `StoreError`) when not acquired within `timeout` seconds.
        """
        return self._locks.hold(name, timeout)

    def close(self) -> None:
        """Release the database connections (and delete a throw-away in-memory store)."""
        self._db.dispose()
        _remove(self._scratch)
        self._scratch = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _locks_for(db: Database, url: URL) -> FileLocks | AdvisoryLocks:
    """Advisory locks on PostgreSQL; lock files beside the SQLite database otherwise."""
    if db.dialect == "postgresql":
        return AdvisoryLocks(db.engine)
    return FileLocks(Path(f"{url.database}.locks"))


def _remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
