"""Reading user files into located YAML documents, with paths shown the way users typed them."""

from __future__ import annotations

import os
from pathlib import Path

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.loading.on_disk import text_digest
from ml_connector.engine.loading.yaml_nodes import YamlDocument, parse_yaml


def display_path(path: Path) -> str:
    """`path` relative to the current directory when it lies below it, else absolute.

    Editors and terminals turn `relative/file.yaml:3:5` into a link; an absolute path to a
    temporary folder would only add noise to every message.
    """
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return os.fspath(absolute)


def read_document(path: Path) -> YamlDocument:
    """Parse the YAML file at `path`; unreadable files become a diagnostic, not a crash."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc = YamlDocument(shown)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        doc.diagnostics.append(Diagnostic(Location(shown, 1, 1), f"cannot read file: {reason}"))
        return doc
    doc = parse_yaml(text, shown)
    doc.digest = text_digest(text)
    return doc
