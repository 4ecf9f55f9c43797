"""A guard that fails any test which opens a file outside the repository.

A contributor's clone has nothing beside it, so a test that reads (or writes) a path outside
the checkout passes only on the machines where that path happens to exist. The guard is a
`sys.addaudithook` hook on the interpreter's `open` and directory-listing events; the places
a test may legitimately touch are the repository, the Python installation and its installed
packages, temporary folders, and the operating system's own files (devices, /proc, /etc,
/usr). Anything beside the checkout (the folder holding it) is outside, even when it sits in
a temporary folder.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})
_SYSTEM = ("/dev", "/proc", "/sys", "/etc", "/usr", "/run")


def _roots() -> tuple[str, ...]:
    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir(),
              *sysconfig.get_paths().values(), *_SYSTEM}
    return tuple(sorted({os.path.realpath(p) for p in places if p}))


class OutsideReads:
    """Collects the paths opened outside the allowed places since the last `take()`."""

    def __init__(self) -> None:
        self.repo = str(REPO)
        self.beside = str(REPO.parent)
        self.roots = _roots()
        self._seen: list[str] = []
        self._lock = threading.Lock()

    def is_outside(self, path: str) -> bool:
        full = os.path.realpath(os.path.join(os.getcwd(), path))
        if _under(full, self.repo):
            return False
        if _under(full, self.beside):
            return True
        return not any(_under(full, root) for root in self.roots)

    def hook(self, event: str, args: tuple[object, ...]) -> None:
        if event not in _EVENTS or not args:
            return
        path = args[0]
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if isinstance(path, str) and path and self.is_outside(path):
            with self._lock:
                self._seen.append(path)

    def take(self) -> list[str]:
        with self._lock:
            seen, self._seen = self._seen, []
        return seen


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


GUARD = OutsideReads()
