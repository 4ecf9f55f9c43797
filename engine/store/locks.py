"""Named locks that exclude other threads and other processes sharing the store.

A token refresh or a scheduled poll must run in one worker at a time, even when several
processes serve the same project. On PostgreSQL the lock is a session advisory lock held on
a connection reserved for the duration; on SQLite it is an `flock` on a file in a folder
next to the database (`<db>.locks/<name>`), which the kernel releases if the holder dies, so
a crashed worker never leaves a lock behind.

Locks are re-entrant within one thread: a holder that asks again for the same name gets it
at once rather than deadlocking on itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select

from ml_connector.engine.errors import StoreError

_POLL_START, _POLL_MAX = 0.005, 0.1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class LockTimeout(StoreError):
    """Another holder kept a named lock longer than the caller was willing to wait."""

    def __init__(self, name: str, timeout: float):
        super().__init__(f"timed out after {timeout:g}s waiting for the lock {name!r}; another "
                         "worker is holding it")
        self.name, self.timeout = name, timeout


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name`, as PostgreSQL advisory locks take."""
    digest = hashlib.sha256(f"ml_connector:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _poll(try_acquire: Callable[[], bool], name: str, timeout: float) -> None:
    """Call `try_acquire` with growing pauses until it succeeds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    pause = _POLL_START
    while not try_acquire():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LockTimeout(name, timeout)
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, _POLL_MAX)


class _Reentrancy:
    """Per-thread hold counts, so a thread can nest `lock(name)` blocks."""

    def __init__(self) -> None:
        self._local = threading.local()

    def counts(self) -> dict[str, int]:
        if not hasattr(self._local, "counts"):
            self._local.counts = {}
        return self._local.counts

    @contextmanager
    def wrap(self, name: str, acquire: Callable[[], AbstractContextManager[None]]
             ) -> Iterator[None]:
        counts = self.counts()
        if counts.get(name):
            counts[name] += 1
            try:
                yield
            finally:
                counts[name] -= 1
            return
        with acquire():
            counts[name] = 1
            try:
                yield
            finally:
                del counts[name]


class FileLocks:
    """Named locks as `flock`s on files in one folder (used with SQLite)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._held = _Reentrancy()

    def path_for(self, name: str) -> Path:
        """The lock file of `name`; unsafe characters are replaced and a hash keeps it unique."""
        safe = _UNSAFE.sub("_", name)[:80]
        if safe != name:
            safe = f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
        return self.folder / safe

    def hold(self, name: str, timeout: float) -> AbstractContextManager[None]:
        return self._held.wrap(name, lambda: self._flock(name, timeout))

    @contextmanager
    def _flock(self, name: str, timeout: float) -> Iterator[None]:
        import fcntl  # POSIX only; imported here so the module loads everywhere

        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path_for(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            def attempt() -> bool:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            _poll(attempt, name, timeout)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class AdvisoryLocks:
    """Named locks as PostgreSQL session advisory locks."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._held = _Reentrancy()

    def hold(self, name: str, timeout: float) -> AbstractContextManager[None]:
        return self._held.wrap(name, lambda: self._advisory(name, timeout))

    @contextmanager
    def _advisory(self, name: str, timeout: float) -> Iterator[None]:
        key = advisory_key(name)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            def attempt() -> bool:
                return bool(conn.execute(select(func.pg_try_advisory_lock(key))).scalar())

            _poll(attempt, name, timeout)
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(key)))
