"""End-to-end tests: the Stripe contract checks every request these runs send, too."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stripe"))

from stripe_contract.recorder import record_and_check


@pytest.fixture(autouse=True)
def stripe_requests_follow_the_contract(monkeypatch: pytest.MonkeyPatch
                                        ) -> Iterator[list[httpx.Request]]:
    yield from record_and_check(monkeypatch)
