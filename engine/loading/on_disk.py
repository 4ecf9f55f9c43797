"""Whether a loaded pipeline is still the file on disk.

A long-lived process (`serve`) keeps the pipelines it loaded at start. When someone edits a
file and runs the pipeline from the CLI, the two would otherwise take turns: each sees the
stored definition differ from its own, re-reads every record and writes its own payloads
back. So each pipeline remembers a digest of the text it was loaded from, and a process
asks here before it syncs: a file whose text differs now (or that is gone) means this
process holds an older definition, and leaves the pipeline alone until it is restarted.

Asking costs a `stat`: a file is read and hashed again only when its size, modification
or change time moved since it was last read.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from ml_connector.engine.model.pipeline import Pipeline

_StatKey = tuple[int, int, int, int]


def text_digest(text: str) -> str:
    """The digest a pipeline keeps of the file text it was loaded from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PipelineFiles:
    """Compares loaded pipelines with their files as they are now; shared by threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: dict[str, tuple[_StatKey, str | None]] = {}

    def changed(self, pipeline: Pipeline) -> bool:
        """Whether the file `pipeline` was loaded from holds other text now, or is gone.

        A pipeline built without a file (`file_digest` None) never changes.
        """
        if pipeline.file_digest is None:
            return False
        return self._digest(pipeline.path) != pipeline.file_digest

    def _digest(self, path: str) -> str | None:
        try:
            found = os.stat(path)
        except OSError:
            return None
        key = (found.st_mtime_ns, found.st_ctime_ns, found.st_size, found.st_ino)
        with self._lock:
            known = self._read.get(path)
        if known is not None and known[0] == key:
            return known[1]
        try:
            digest: str | None = text_digest(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            digest = None
        with self._lock:
            self._read[path] = (key, digest)
        return digest
