"""The Stripe connector opened against the shared emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from stripe_flows import RunningEmulator, connect


@pytest.fixture
def stripe_connector(stripe_emulator: RunningEmulator) -> Iterator[Any]:
    connector = connect(stripe_emulator.url)
    yield connector
    connector.close()
