"""A throwaway site directory on sys.path where a test declares entry points and modules.

Entry points are read from `*.dist-info/entry_points.txt` files on `sys.path`, so writing
one is all it takes to "install" a plugin declaration without pip.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from ml_connector.engine.plugins.registry import ENTRY_POINT_GROUP


class FakeSite:
    """A directory on sys.path holding hand-written distributions and modules."""

    def __init__(self, root: Path):
        self.root = root
        self.modules: list[str] = []

    def declare(self, dist: str, entry_points: Mapping[str, str],
                group: str = ENTRY_POINT_GROUP) -> None:
        info = self.root / f"{dist}-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        lines = [f"[{group}]", *(f"{name} = {value}" for name, value in entry_points.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")

    def module(self, name: str, source: str) -> None:
        (self.root / f"{name}.py").write_text(source)
        self.modules.append(name)
        importlib.invalidate_caches()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    fake = FakeSite(tmp_path / "site")
    fake.root.mkdir()
    monkeypatch.syspath_prepend(str(fake.root))
    yield fake
    for name in fake.modules:
        sys.modules.pop(name, None)
