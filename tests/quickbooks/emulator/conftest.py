"""Fixtures for the QBO emulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from qbo_emulator_kit import Emulator, QboClient, running_emulator


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    """One server per test module; `emulator` resets it before each test."""
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(shared_emulator: Emulator) -> Emulator:
    shared_emulator.admin("reset")
    return shared_emulator


@pytest.fixture
def qbo(emulator: Emulator) -> Iterator[QboClient]:
    client = emulator.connect()
    yield client
    client.http.close()
