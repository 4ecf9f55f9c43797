"""Fixtures for loading unit tests: the fake connector plugins the diagnostics cases use."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

FAKES = Path(__file__).parents[2] / "diagnostics" / "fake_plugins.py"


def _fake_plugins() -> ModuleType:
    """Import the shared fakes by path: test folders are not packages."""
    if "fake_plugins" in sys.modules:
        return sys.modules["fake_plugins"]
    spec = importlib.util.spec_from_file_location("fake_plugins", FAKES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_plugins"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def registry() -> Any:
    return _fake_plugins().fake_registry()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a text file below tmp_path and return its path."""

    def _write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
