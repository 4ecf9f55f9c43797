"""`ml-connector serve` and `ml-connector emulators start` as real processes, for e2e tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ml_connector.connectors.qbo_stripe.story import wait_until

MAIN = "from ml_connector.engine.cli.main import main; main()"


def ml_connector(project: Path, *args: str, **popen: object) -> subprocess.Popen[bytes]:
    """The CLI on `project` in a child process of its own (stderr piped)."""
    return subprocess.Popen([sys.executable, "-c", MAIN, "--project", str(project), *args],
                            stderr=subprocess.PIPE, **popen)  # type: ignore[call-overload]


@contextmanager
def serve(project: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`serve --no-poll` on `port`, healthy when entered, killed if still running at exit."""
    process = ml_connector(project, "serve", "--port", str(port), "--no-poll")
    try:
        assert wait_until(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), 30), \
            "serve did not start"
        yield process
    finally:
        _kill(process)


@contextmanager
def emulators(project: Path, urls: list[str],
              serve_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`emulators start --serve-url SERVE_URL`, answering on every one of `urls` when entered."""
    process = ml_connector(project, "emulators", "start", "--serve-url", serve_url)
    try:
        started = wait_until(lambda: process.poll() is not None
                             or all(answers(url) for url in urls), 30)
        assert started and process.poll() is None, _stderr(process)
        yield process
    finally:
        _kill(process)


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def answers(url: str) -> bool:
    """Something answers HTTP at `url` (any status)."""
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


def _stderr(process: subprocess.Popen[bytes]) -> str:
    if process.poll() is None:
        return "the process did not start in time"
    assert process.stderr is not None
    return process.stderr.read().decode(errors="replace")


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
