"""A failing poll, as the person running `serve` reads it: one line, once, with the fix.

Logging is configured exactly as the command line does it (`_configure_logging`), so the
level, the format and the redaction filter are the ones a user gets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from conftest import World
from test_service_health import PEOPLE, Polls, TroubledSource, polled, source  # noqa: F401

from ml_connector.engine.cli.main import _configure_logging
from ml_connector.engine.triggers.service import Service, ServiceOptions

FAILED = "ERROR ml_connector.schedule: poll of contacts-to-people failed: "


@pytest.fixture
def cli_logging() -> Iterator[Callable[[int], None]]:
    """`_configure_logging(verbose)`; the logger is put back as it was afterwards."""
    logger = logging.getLogger("ml_connector")
    handlers, level = logger.handlers[:], logger.level
    yield _configure_logging
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_a_failing_poll_logs_one_line_without_a_traceback_and_not_again(
        polled: World, source: TroubledSource, cli_logging: Callable[[int], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    cli_logging(0)
    poll = Polls(Service(polled.runtime, ServiceOptions(workers=0)))
    source.trouble = RuntimeError("the answer ended early")
    for _ in range(3):
        poll()
    assert capsys.readouterr().err.splitlines() == [
        FAILED + "RuntimeError: the answer ended early"]
    source.trouble = RuntimeError("refused Authorization: Bearer abcdef0123456789xyz")
    poll()                                        # a new cause is news; secrets stay masked
    assert capsys.readouterr().err.splitlines() == [
        FAILED + "RuntimeError: refused Authorization: Bearer ***"]
    source.trouble = None
    poll()
    assert capsys.readouterr().err.splitlines() == [
        "WARNING ml_connector.schedule: poll of contacts-to-people works again"]


def test_with_v_the_failing_poll_carries_its_traceback(
        polled: World, source: TroubledSource, cli_logging: Callable[[int], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    cli_logging(1)
    poll = Polls(Service(polled.runtime, ServiceOptions(workers=0)))
    source.trouble = RuntimeError("the answer ended early")
    poll()
    lines = capsys.readouterr().err.splitlines()
    failure = lines.index(FAILED + "RuntimeError: the answer ended early")
    assert lines[failure + 1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: the answer ended early"


def test_a_poll_stopped_by_authorisation_names_the_connection_and_the_fix(
        polled: World, source: TroubledSource, cli_logging: Callable[[int], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    cli_logging(0)
    poll = Polls(Service(polled.runtime, ServiceOptions(workers=0)))
    source.authorised = False
    poll()
    poll()
    assert capsys.readouterr().err.splitlines() == [
        FAILED + "alpha: alpha refused the grant (revoked); run `ml-connector connections "
        "auth alpha` to authorise again"]
