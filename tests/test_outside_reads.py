"""The suite refuses tests that depend on files outside the repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from outside_reads import GUARD, REPO

sys.path.insert(0, str(REPO / "tests" / "stripe"))


def test_opening_a_file_beside_the_checkout_is_caught() -> None:
    beside = REPO.parent / "reference-docs" / "spec3.json"
    with pytest.raises(FileNotFoundError):
        beside.read_text()   # the hook sees the attempt even though the file is not there
    assert GUARD.take() == [str(beside)]


def test_the_repository_packages_and_temporary_files_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "scratch.txt").write_text("ok")
    (tmp_path / "scratch.txt").read_text()
    (REPO / "pyproject.toml").read_text()
    Path(yaml.__file__).read_text()
    Path(json.__file__).read_text()
    assert GUARD.take() == []


def test_the_stripe_spec_the_contract_tests_read_is_inside_the_repository(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from stripe_contract.spec import OVERRIDE, spec_path

    monkeypatch.delenv(OVERRIDE, raising=False)
    assert spec_path().is_relative_to(REPO)
    assert spec_path().exists()
