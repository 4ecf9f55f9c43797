"""Credentials at rest: encrypted rows in the `secrets` table.

Values are sealed with the master key (Fernet: AES-CBC plus HMAC, so a tampered or
mis-keyed row is detected, never silently misread). The secret's name is sealed together with
its value and checked on the way out, so a row copied under another name does not decrypt as
that name. A value read back is registered with redaction at once, so it is masked in any log
line or error it later reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select, update

from ml_connector.engine.errors import StoreError
from ml_connector.engine.redaction import register_secret
from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database, upsert
from ml_connector.engine.store.master_key import ENV_VAR, MasterKey, write_key_file
from ml_connector.engine.store.types import utcnow

if TYPE_CHECKING:
    from ml_connector.engine.store.store import Store

_SEPARATOR = b"\x00"
ROTATION_BATCH = 200


def wrong_key(detail: str) -> StoreError:
    return StoreError(
        f"the master key cannot decrypt the stored secrets: {detail}; set "
        "ML_CONNECTOR_MASTER_KEY to the key used to store them")


def seal(key: MasterKey, name: str, value: str) -> str:
    return key.encrypt(name.encode() + _SEPARATOR + value.encode())


def unseal(key: MasterKey, name: str, token: str) -> str:
    """The value sealed under `name`, or the wrong-key StoreError."""
    try:
        plain = key.decrypt(token)
    except InvalidToken:
        raise wrong_key(f"secret {name!r} does not authenticate with the "
                        f"key from {key.origin}") from None
    sealed_name, _, value = plain.partition(_SEPARATOR)
    if sealed_name != name.encode():
        raise StoreError(f"the stored secret {name!r} was sealed under another name; it has "
                         "been tampered with, so store it again")
    return value.decode()


class SecretRepository:
    """Encrypted name -> value storage. The master key is loaded on first use only."""

    def __init__(self, db: Database, master_key: Callable[[], MasterKey]):
        self._db = db
        self._master_key = master_key

    def get(self, name: str) -> str | None:
        t = tables.secrets
        with self._db.read() as conn:
            token = conn.execute(select(t.c.ciphertext).where(t.c.name == name)).scalar()
        if token is None:
            return None
        value = unseal(self._master_key(), name, token)
        register_secret(value)
        return value

    def put(self, name: str, value: str) -> None:
        register_secret(value)
        token = seal(self._master_key(), name, value)
        with self._db.write() as conn:
            upsert(conn, tables.secrets,
                   {"name": name, "ciphertext": token, "updated_at": utcnow()}, keys=("name",))

    def delete(self, name: str) -> None:
        t = tables.secrets
        with self._db.write() as conn:
            conn.execute(delete(t).where(t.c.name == name))

    def names(self) -> list[str]:
        t = tables.secrets
        with self._db.read() as conn:
            return list(conn.execute(select(t.c.name).order_by(t.c.name)).scalars())

    def reencrypt_batch(self, key: MasterKey, after: str | None, limit: int) -> list[str]:
        """Re-seal up to `limit` rows named after `after` under `key`'s first key, in one
        transaction; returns the names done (empty when none are left)."""
        t = tables.secrets
        query = select(t.c.name, t.c.ciphertext).order_by(t.c.name).limit(limit)
        if after is not None:
            query = query.where(t.c.name > after)
        with self._db.write() as conn:
            rows = conn.execute(query).all()
            for name, token in rows:
                value = unseal(key, name, token)
                conn.execute(update(t).where(t.c.name == name).values(
                    ciphertext=seal(key, name, value), updated_at=utcnow()))
        return [name for name, _ in rows]


class ConnectionCredentials:
    """The `CredentialStore` a connector gets: its own keys, namespaced by connection."""

    def __init__(self, store: Store, connection: str):
        self._store, self.connection = store, connection

    def _name(self, key: str) -> str:
        return f"{self.connection}.{key}"

    def get(self, key: str) -> str | None:
        return self._store.secrets.get(self._name(key))

    def put(self, key: str, value: str) -> None:
        self._store.secrets.put(self._name(key), value)

    def delete(self, key: str) -> None:
        self._store.secrets.delete(self._name(key))

    def locked(self, key: str) -> AbstractContextManager[None]:
        """Exclusive across threads and processes, e.g. around an OAuth token refresh."""
        return self._store.lock(f"credentials:{self._name(key)}")


def rotate_master_key(store: Store, new_key: MasterKey, *, key_file: Path | None = None,
                      batch_size: int = ROTATION_BATCH) -> int:
    """Re-encrypt every stored secret under `new_key`; returns how many were re-encrypted.

    Safe to interrupt at any point: the key file first receives the new key *and* the old
    one, so every row decrypts whether or not it was re-encrypted yet; each batch is one
    transaction; only when all rows are done does the file keep the new key alone. The key
    file is the one the old key came from, or `key_file`.

    A key from `ML_CONNECTOR_MASTER_KEY` has no file to update, so rotation only proceeds
    when the variable already lists the new key first ("new,old"): otherwise the new key
    would be known nowhere once this returns. Other processes keep working throughout if
    they were given "new,old" before the rotation started.
    """
    old_key = store.master_key
    target = key_file or old_key.path
    if target is None and not set(new_key.keys) <= set(old_key.keys):
        raise StoreError(
            f"the master key comes from {old_key.origin}, so there is no key file to keep the "
            f"new key in; set {ENV_VAR} to the new key followed by the current one "
            "(new,old), then rotate to the new key")
    bridge = new_key.with_fallback(old_key)
    if target is not None:
        write_key_file(target, bridge)
    store.use_master_key(bridge)
    count, after = 0, None
    while names := store.secrets.reencrypt_batch(bridge, after, batch_size):
        count, after = count + len(names), names[-1]
    final = MasterKey(new_key.keys, path=target,
                      origin=str(target) if target else new_key.origin)
    if target is not None:
        write_key_file(target, final)
    store.use_master_key(final)
    return count
