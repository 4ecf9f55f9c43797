"""Fixtures for the security suite: the sandbox (both emulators, an authorised project)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox, SandboxOptions
from ml_connector.engine.store import MASTER_KEY_ENV_VAR


@pytest.fixture(autouse=True)
def no_master_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every project here keeps its master key in its own key file, as a user's would."""
    monkeypatch.delenv(MASTER_KEY_ENV_VAR, raising=False)


@contextmanager
def started_sandbox(folder: Path, **options: object) -> Iterator[Sandbox]:
    with Sandbox(folder, SandboxOptions(seed_quickbooks=False, workers=2, **options)) as box:
        yield box


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Callable[..., AbstractContextManager[Sandbox]]:
    """`with sandbox_factory(pipelines_dir=...) as sandbox:` in a folder of the test's own."""
    def make(**options: object) -> AbstractContextManager[Sandbox]:
        return started_sandbox(tmp_path / "project", **options)
    return make
