"""The master key file: created readable by its owner only, refused when others can read it.

Driven through the command a user types (`connections set-secret`), with the process umask
wide open, so the mode comes from how the file is created and not from a friendly umask.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_connector.engine.cli.main import main
from ml_connector.engine.errors import StoreError
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store.master_key import default_key_path
from ml_connector.engine.sync.runtime import Runtime

PROJECT = """\
version: 1
store: {url: "sqlite:///.ml-connector/state.db"}
pipelines: [pipelines]
connections:
  stripe:
    connector: stripe
    settings: {secret_key: "${secret:stripe.secret_key}"}
"""
SECRET = "sk_test_fakeMasterKey123"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "ml-connector.yaml").write_text(PROJECT)
    return tmp_path


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def set_secret(project: Path, value: str, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(value))
    with pytest.raises(SystemExit) as ended:
        main(["-p", str(project), "connections", "set-secret", "stripe", "secret_key"])
    captured = capsys.readouterr()
    return int(ended.value.code or 0), captured.out + captured.err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_key_file_is_created_0600_even_with_an_open_umask(
        project: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Protection: write_key_file creates the file with mode 0600 from its first byte.
    code, output = set_secret(project, SECRET, monkeypatch, capsys)
    assert code == 0, output
    key_file = default_key_path(project)
    assert mode(key_file) == 0o600
    assert SECRET not in output
    with Runtime.open(project, registry=PluginRegistry.from_entry_points()) as runtime:
        assert runtime.store.secrets.get("stripe.secret_key") == SECRET


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("wider", [0o644, 0o640, 0o604, 0o666])
def test_a_key_file_others_can_use_is_refused_with_a_clear_message(
        project: Path, wider: int, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Protection: check_key_file_mode refuses any bit beyond the owner's read and write.
    assert set_secret(project, SECRET, monkeypatch, capsys)[0] == 0
    key_file = default_key_path(project)
    os.chmod(key_file, wider)
    code, output = set_secret(project, "sk_test_fakeSecondValue456", monkeypatch, capsys)
    assert code == 1
    assert f"has mode {wider:04o}" in output and f"chmod 600 {key_file}" in output
    assert "sk_test_fakeSecondValue456" not in output and SECRET not in output
    with Runtime.open(project, registry=PluginRegistry.from_entry_points()) as runtime, \
            pytest.raises(StoreError, match="chmod 600"):
        runtime.connector("stripe")  # resolving ${secret:...} reads the key: refused too
    os.chmod(key_file, 0o600)
    with Runtime.open(project, registry=PluginRegistry.from_entry_points()) as runtime:
        assert runtime.store.secrets.get("stripe.secret_key") == SECRET  # nothing replaced
