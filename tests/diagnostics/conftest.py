"""Fixtures shared by the diagnostics tests."""

from __future__ import annotations

import pytest
from fake_plugins import FakeRegistry, fake_registry


@pytest.fixture
def registry() -> FakeRegistry:
    return fake_registry()
