"""The SQLite store holds customer names, e-mails and addresses: only its owner may read it."""

from __future__ import annotations

import stat
from pathlib import Path

from ml_connector.engine.store import Link, MasterKey, Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_folder_are_private_to_their_owner(tmp_path: Path) -> None:
    store = Store.open("sqlite:///.ml-connector/state.db", root=tmp_path,
                       master_key=MasterKey.generate())
    try:
        store.links.put(Link("customers", "58", "stripe", "customer", "cus_1", "h"))
    finally:
        store.close()
    folder = tmp_path / ".ml-connector"
    assert _mode(folder) == 0o700
    files = sorted(folder.glob("state.db*"))
    assert files and all(_mode(f) == 0o600 for f in files), [(f.name, oct(_mode(f)))
                                                             for f in files]
