"""Fixtures for the Stripe emulator and connector tests.

`stripe_emulator` is an emulated account on a loopback port, emptied before each test (one
server serves the whole session, which keeps the suite fast); `stripe_http` is an httpx
client authenticated with a made-up test key; `emulator_factory` starts a separate emulator
with options. Flow helpers live in `stripe_flows.py`, contract checks in `stripe_contract/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from stripe_contract.recorder import record_and_check
from stripe_flows import RunningEmulator, running_emulator


@pytest.fixture
def emulator_factory() -> Callable[..., AbstractContextManager[RunningEmulator]]:
    """Start an emulator with options: `with emulator_factory(search_lag_seconds=60) as e:`."""
    return running_emulator


@pytest.fixture(scope="session")
def shared_stripe_emulator() -> Iterator[RunningEmulator]:
    with running_emulator(webhook_retry_delays=[0.02, 0.05, 0.1]) as running:
        yield running


@pytest.fixture
def stripe_emulator(shared_stripe_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    shared_stripe_emulator.emulator.reset()
    yield shared_stripe_emulator
    shared_stripe_emulator.emulator.reset()


@pytest.fixture
def stripe_http(stripe_emulator: RunningEmulator) -> httpx.Client:
    return stripe_emulator.http


@pytest.fixture(autouse=True)
def stripe_requests_follow_the_contract(monkeypatch: pytest.MonkeyPatch
                                        ) -> Iterator[list[httpx.Request]]:
    """Every request the connector sends in a test is checked against Stripe's API
    description (the `stripe` package's params types and the 2023 spec) afterwards, and every
    object in the answers it reads against the package's classes."""
    yield from record_and_check(monkeypatch)
