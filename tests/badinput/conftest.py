"""Fixtures for the bad-input suites: a two-connector project and its recording upstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from badinput_world import Upstream, World, open_world, upstream_server

from ml_connector.engine.testing.servers import BackgroundServer


@pytest.fixture(scope="module")
def shared_upstream() -> Iterator[tuple[Upstream, BackgroundServer]]:
    with upstream_server() as pair:
        yield pair


@pytest.fixture
def world(tmp_path: Path, shared_upstream: tuple[Upstream, BackgroundServer]
          ) -> Iterator[World]:
    upstream, server = shared_upstream
    upstream.requests.clear()
    opened = open_world(tmp_path, server.url, upstream)
    try:
        yield opened
    finally:
        opened.runtime.close()
