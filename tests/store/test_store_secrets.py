"""Secrets at rest: encrypted in the database, refused with the wrong key, per connection."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from ml_connector.engine.errors import StoreError
from ml_connector.engine.redaction import redact_text
from ml_connector.engine.store import MasterKey, Store

SECRET = "sk_test_fake123plaintextvalue"
WRONG_KEY = ("the master key cannot decrypt the stored secrets: .*set ML_CONNECTOR_MASTER_KEY "
             "to the key used to store them")


def _raw_bytes(store: Store, tmp_path: Path) -> bytes:
    """Everything the database holds, as stored: the files on SQLite, the rows on PostgreSQL."""
    if store.dialect == "sqlite":
        files = sorted((tmp_path / "state").glob("state.db*"))
        assert files, "the SQLite database files should exist"
        return b"".join(path.read_bytes() for path in files if path.is_file())
    with store.database.read() as conn:
        rows = conn.execute(text("SELECT name, ciphertext FROM secrets")).all()
    return repr(rows).encode()


def test_put_get_delete_names(store: Store) -> None:
    assert store.secrets.get("stripe.api_key") is None
    store.secrets.put("stripe.api_key", SECRET)
    store.secrets.put("quickbooks.refresh_token", "AB11refresh")
    assert store.secrets.get("stripe.api_key") == SECRET
    assert store.secrets.names() == ["quickbooks.refresh_token", "stripe.api_key"]
    store.secrets.put("stripe.api_key", "sk_test_fake456")
    assert store.secrets.get("stripe.api_key") == "sk_test_fake456"
    store.secrets.delete("stripe.api_key")
    assert store.secrets.get("stripe.api_key") is None
    assert store.secrets.names() == ["quickbooks.refresh_token"]


def test_database_holds_no_plaintext(store: Store, tmp_path: Path) -> None:
    store.secrets.put("stripe.api_key", SECRET)
    store.secrets.put("quickbooks.client_secret", "unicode-sécret-✓-value")
    raw = _raw_bytes(store, tmp_path)
    assert b"stripe.api_key" in raw  # the data is really there, only encrypted
    assert SECRET.encode() not in raw
    assert "unicode-sécret-✓-value".encode() not in raw
    assert store.secrets.get("quickbooks.client_secret") == "unicode-sécret-✓-value"


def test_wrong_master_key_is_a_clear_store_error(store: Store, store_url: str,
                                                 tmp_path: Path) -> None:
    store.secrets.put("stripe.api_key", SECRET)
    with Store.open(store_url, root=tmp_path, master_key=MasterKey.generate()) as other:
        with pytest.raises(StoreError, match=WRONG_KEY) as caught:
            other.secrets.get("stripe.api_key")
        assert SECRET not in str(caught.value)
        assert other.secrets.names() == ["stripe.api_key"]  # names stay listable


def test_secret_copied_under_another_name_is_refused(store: Store) -> None:
    store.secrets.put("a.token", SECRET)
    with store.database.write() as conn:
        conn.execute(text("INSERT INTO secrets (name, ciphertext, updated_at) "
                          "SELECT 'b.token', ciphertext, updated_at FROM secrets "
                          "WHERE name = 'a.token'"))
    with pytest.raises(StoreError, match="sealed under another name"):
        store.secrets.get("b.token")


def test_values_read_back_are_masked_in_later_text(store: Store) -> None:
    store.secrets.put("quickbooks.refresh_token", "AB11rotating-refresh-value")
    store.secrets.get("quickbooks.refresh_token")
    assert redact_text("refresh with AB11rotating-refresh-value failed") == (
        "refresh with *** failed")


def test_credentials_are_namespaced_by_connection(store: Store) -> None:
    qbo, other = store.credentials("quickbooks"), store.credentials("quickbooks-sandbox")
    qbo.put("refresh_token", "AB11first")
    other.put("refresh_token", "AB11second")
    assert qbo.get("refresh_token") == "AB11first"
    assert other.get("refresh_token") == "AB11second"
    assert store.secrets.get("quickbooks.refresh_token") == "AB11first"
    qbo.delete("refresh_token")
    assert qbo.get("refresh_token") is None and other.get("refresh_token") == "AB11second"


def test_credentials_locked_serialises_refreshes(store: Store) -> None:
    credentials = store.credentials("quickbooks")
    credentials.put("counter", "0")

    def refresh() -> None:
        for _ in range(5):
            with credentials.locked("refresh_token"):
                value = int(credentials.get("counter") or "0")
                credentials.put("counter", str(value + 1))

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert credentials.get("counter") == "20"
