"""The master key: env var or 0600 key file, several keys for rotation, re-encryption."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ml_connector.engine.errors import StoreError
from ml_connector.engine.store import MasterKey, Store, rotate_master_key
from ml_connector.engine.store.master_key import ENV_VAR, default_key_path

WRONG_KEY = "the master key cannot decrypt the stored secrets"


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_is_created_on_first_use_with_mode_0600(store_url: str,
                                                        tmp_path: Path) -> None:
    key_file = default_key_path(tmp_path)
    with Store.open(store_url, root=tmp_path) as store:
        store.links.count()
        assert not key_file.exists()  # no secret touched, no key needed
        store.secrets.put("stripe.api_key", "sk_test_fake123")
    assert _mode(key_file) == 0o600
    with Store.open(store_url, root=tmp_path) as again:
        assert again.secrets.get("stripe.api_key") == "sk_test_fake123"


def test_key_file_readable_by_others_is_refused(store_url: str, tmp_path: Path) -> None:
    key_file = default_key_path(tmp_path)
    key_file.parent.mkdir(parents=True)
    key_file.write_text(MasterKey.generate().keys[0])
    os.chmod(key_file, 0o644)
    with Store.open(store_url, root=tmp_path) as store, \
            pytest.raises(StoreError, match="chmod 600") as caught:
        store.secrets.put("stripe.api_key", "sk_test_fake123")
    assert str(key_file) in str(caught.value)


def test_environment_key_wins_over_the_key_file(store_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    env_key = MasterKey.generate()
    monkeypatch.setenv(ENV_VAR, env_key.keys[0])
    with Store.open(store_url, root=tmp_path) as store:
        store.secrets.put("s", "sk_test_fake123")
    assert not default_key_path(tmp_path).exists()
    with Store.open(store_url, root=tmp_path, master_key=env_key) as same:
        assert same.secrets.get("s") == "sk_test_fake123"


def test_several_env_keys_first_encrypts_all_decrypt(store_url: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    with Store.open(store_url, root=tmp_path, master_key=old) as store:
        store.secrets.put("written.with.old", "sk_test_fakeold")
    monkeypatch.setenv(ENV_VAR, f"{new.keys[0]}, {old.keys[0]}")
    with Store.open(store_url, root=tmp_path) as store:
        assert store.secrets.get("written.with.old") == "sk_test_fakeold"
        store.secrets.put("written.with.new", "sk_test_fakenew")
    with Store.open(store_url, root=tmp_path, master_key=new) as store:
        assert store.secrets.get("written.with.new") == "sk_test_fakenew"
        with pytest.raises(StoreError, match=WRONG_KEY):
            store.secrets.get("written.with.old")


def test_malformed_env_key_is_a_store_error(store_url: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "not-a-key")
    with Store.open(store_url, root=tmp_path) as store, \
            pytest.raises(StoreError, match="not a valid key"):
        store.secrets.put("anything", "sk_test_fake123")


def test_rotation_reencrypts_so_only_the_new_key_decrypts(store_url: str,
                                                          tmp_path: Path) -> None:
    key_file = default_key_path(tmp_path)
    values = {f"conn.secret{n}": f"sk_test_fake{n:04d}" for n in range(5)}
    with Store.open(store_url, root=tmp_path) as store:
        for name, value in values.items():
            store.secrets.put(name, value)
        old = MasterKey.from_file(key_file)
        new = MasterKey.generate()
        assert rotate_master_key(store, new, batch_size=2) == 5
        assert store.secrets.get("conn.secret0") == "sk_test_fake0000"  # same process goes on
    assert MasterKey.from_file(key_file).keys == new.keys
    assert _mode(key_file) == 0o600
    with Store.open(store_url, root=tmp_path, master_key=old) as with_old, \
            pytest.raises(StoreError, match=WRONG_KEY):
        with_old.secrets.get("conn.secret3")
    with Store.open(store_url, root=tmp_path) as with_new:
        assert {name: with_new.secrets.get(name) for name in values} == values


def test_interrupted_rotation_loses_nothing(store_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    values = {f"conn.secret{n}": f"sk_test_fake{n:04d}" for n in range(4)}
    with Store.open(store_url, root=tmp_path) as store:
        for name, value in values.items():
            store.secrets.put(name, value)
        real_batch, calls = store.secrets.reencrypt_batch, []

        def crash_on_second_batch(*args: object, **kwargs: object) -> list[str]:
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return real_batch(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store.secrets, "reencrypt_batch", crash_on_second_batch)
        with pytest.raises(KeyboardInterrupt):
            rotate_master_key(store, MasterKey.generate(), batch_size=2)
    with Store.open(store_url, root=tmp_path) as reopened:  # key file holds new and old
        assert {name: reopened.secrets.get(name) for name in values} == values


def test_master_key_repr_hides_the_keys() -> None:
    key = MasterKey.generate()
    assert key.keys[0] not in repr(key)


def test_rotation_of_an_environment_key_needs_the_new_key_listed_first(
        store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    monkeypatch.setenv(ENV_VAR, old.keys[0])
    with Store.open(store_url, root=tmp_path) as store:
        store.secrets.put("conn.key", "sk_test_fake123")
        with pytest.raises(StoreError, match=f"set {ENV_VAR} to the new key followed by"):
            rotate_master_key(store, new)
        assert store.secrets.get("conn.key") == "sk_test_fake123"  # nothing changed
    monkeypatch.setenv(ENV_VAR, f"{new.keys[0]},{old.keys[0]}")
    with Store.open(store_url, root=tmp_path) as store:
        assert rotate_master_key(store, new) == 1
    assert not default_key_path(tmp_path).exists()
    with Store.open(store_url, root=tmp_path, master_key=new) as store:
        assert store.secrets.get("conn.key") == "sk_test_fake123"


def test_rotation_can_write_a_chosen_key_file(store_url: str, tmp_path: Path) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    key_file = tmp_path / "keys" / "rotated.key"
    with Store.open(store_url, root=tmp_path, master_key=old) as store:
        store.secrets.put("conn.key", "sk_test_fake123")
        assert rotate_master_key(store, new, key_file=key_file) == 1
    assert _mode(key_file) == 0o600
    with Store.open(store_url, root=tmp_path, master_key=MasterKey.from_file(key_file)) as store:
        assert store.secrets.get("conn.key") == "sk_test_fake123"


def test_empty_key_file_names_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "empty.key"
    key_file.touch(mode=0o600)
    with pytest.raises(StoreError, match=str(key_file)):
        MasterKey.from_file(key_file)
