"""`ml-connector serve` and `ml-connector emulators start` as real processes, for e2e tests.

A child's stderr goes to a temporary file, never to a pipe: a pipe nobody reads fills up
(64 KiB on Linux) and then blocks the child at its next log line, which looks like a hang.
When a test fails while a child runs, the end of what the child wrote is printed, so the
failure report shows it beside the test's own output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from ml_connector.connectors.qbo_stripe.story import wait_until

MAIN = "from ml_connector.engine.cli.main import main; main()"
SHOWN = 5000   # characters of a child's stderr shown when a test fails


class Child(subprocess.Popen[bytes]):
    """A child process whose stderr is kept in a temporary file, readable at any time."""

    def __init__(self, args: list[str], **popen: object):
        # Open as long as the child is: closed by `__exit__` (or `serve`/`emulators` at exit).
        self.stderr_file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        super().__init__(args, stderr=self.stderr_file, **popen)  # type: ignore[call-overload]

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)  # type: ignore[arg-type]
        self.stderr_file.close()

    def stderr_text(self) -> str:
        """Everything the child wrote to stderr so far (read without moving the offset the
        child writes at)."""
        fd = self.stderr_file.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def stderr_tail(self) -> str:
        text = self.stderr_text()
        return text if len(text) <= SHOWN else "..." + text[-SHOWN:]


def ml_connector(project: Path, *args: str, **popen: object) -> Child:
    """The CLI on `project` in a child process of its own (stderr kept in a file)."""
    return Child([sys.executable, "-c", MAIN, "--project", str(project), *args], **popen)


@contextmanager
def serve(project: Path, port: int) -> Iterator[Child]:
    """`serve --no-poll` on `port`, healthy when entered, killed if still running at exit."""
    process = ml_connector(project, "serve", "--port", str(port), "--no-poll")
    with _shown_on_failure(process):
        started = wait_until(lambda: process.poll() is not None
                             or healthy(f"http://127.0.0.1:{port}/healthz"), 30)
        assert started and process.poll() is None, _not_started(process)
        yield process


@contextmanager
def emulators(project: Path, urls: list[str], serve_url: str) -> Iterator[Child]:
    """`emulators start --serve-url SERVE_URL`, answering on every one of `urls` when entered."""
    process = ml_connector(project, "emulators", "start", "--serve-url", serve_url)
    with _shown_on_failure(process):
        started = wait_until(lambda: process.poll() is not None
                             or all(answers(url) for url in urls), 30)
        assert started and process.poll() is None, _not_started(process)
        yield process


@contextmanager
def _shown_on_failure(process: Child) -> Iterator[None]:
    """Kill the child at exit; when the test failed meanwhile, print what it wrote first."""
    try:
        yield
    except BaseException:
        _kill(process)
        print(f"stderr of {' '.join(process.args[3:])}:\n{process.stderr_tail()}",
              file=sys.stderr)
        raise
    finally:
        _kill(process)
        process.stderr_file.close()


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


def _not_started(process: Child) -> str:
    if process.poll() is None:
        return f"the process did not start in time; its stderr:\n{process.stderr_tail()}"
    return f"the process exited ({process.returncode}); its stderr:\n{process.stderr_tail()}"


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
