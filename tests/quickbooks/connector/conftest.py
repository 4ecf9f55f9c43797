"""Fixtures for QBO connector tests against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from qbo_connector_kit import Emulator, connector_for, grant_tokens, open_store, running_emulator

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.engine.store import Store


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    with running_emulator(enforce_limits=False) as emulator:
        yield emulator


@pytest.fixture
def emulator(shared_emulator: Emulator) -> Emulator:
    shared_emulator.admin("reset")
    return shared_emulator


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def connector(emulator: Emulator, store: Store) -> Iterator[QuickBooksConnector]:
    grant_tokens(emulator, store)
    opened = connector_for(emulator, store)
    yield opened
    opened.close()
