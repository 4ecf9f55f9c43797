"""Logging a failure that repeats: once when it starts or changes, once when it ends.

A poll every five minutes that fails the same way, or every inbox item waiting for the same
authorisation, would otherwise write the same error, traceback and all, every cycle, and the
line that matters scrolls away under its copies; how long it has lasted is in `/healthz` and
`status`. So a failure is logged as one line naming what failed, the cause and the fix; its
traceback only at `-v` (INFO), its repeats only at `-vv` (DEBUG). The line is redacted here,
not only by the CLI's log handler, since it quotes errors and may be logged by any handler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable

from ml_connector.engine.errors import MlConnectorError
from ml_connector.engine.redaction import redact_text


class FailureLog:
    """The latest cause per key (a pipeline, a worker), to log changes rather than repeats."""

    def __init__(self, log: logging.Logger):
        self.log = log
        self._causes: dict[Hashable, str] = {}
        self._lock = threading.Lock()

    def failed(self, key: Hashable, cause: str, line: str,
               exc: BaseException | None = None) -> None:
        """`line` (which says `cause`) unless `key` last failed with this same `cause`."""
        with self._lock:
            repeated = self._causes.get(key) == cause
            self._causes[key] = cause
        level = logging.DEBUG if repeated else logging.ERROR
        trace = exc if exc is not None and self.log.isEnabledFor(logging.INFO) else None
        self.log.log(level, "%s", redact_text(line), exc_info=trace)

    def recovered(self, key: Hashable, line: str) -> None:
        """`line` once, if `key` was failing: the end of a failure is news too."""
        with self._lock:
            was_failing = self._causes.pop(key, None) is not None
        if was_failing:
            self.log.warning("%s", redact_text(line))


def one_line(exc: BaseException) -> str:
    """An error as one line: our own errors say what they are, others also name their type."""
    if isinstance(exc, MlConnectorError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
