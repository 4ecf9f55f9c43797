"""YAML parsing that remembers where every value came from.

PyYAML's `safe_load` throws positions away and silently keeps the last of two equal keys.
Composing the node tree first keeps each node's mark, so every later check (schema,
connections, expressions, the dependency graph) can point at a line and column, and
duplicate keys can be seen before construction hides them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ml_connector.engine.diagnostics import Diagnostic, Location

Path = tuple[str | int, ...]
Locator = Callable[[Path], Location]

MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class YamlDocument:
    """A parsed YAML file: its value, and where each path's key and value start.

    `value` is None when the file could not be parsed or is empty; `diagnostics` then says why.
    Paths are tuples of mapping keys and list indexes, the same shape as jsonschema's
    `absolute_path`, so a schema error maps straight to a place in the file.
    """

    file: str
    value: Any = None
    empty: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)
    digest: str | None = None   # of the text read from the file (see loading/on_disk.py)

    def locate(self, path: Path) -> Location:
        """Where the value at `path` starts; the nearest enclosing value when it is absent."""
        return self._nearest(self.values, path)

    def locate_key(self, path: Path) -> Location:
        """Where the key of the entry at `path` starts (its value's place for list items)."""
        if path in self.keys:
            return self.keys[path]
        return self.locate(path)

    def _nearest(self, index: dict[Path, Location], path: Path) -> Location:
        for end in range(len(path), -1, -1):
            found = index.get(path[:end])
            if found is not None:
                return found
        return Location(self.file, 1, 1)

    def error(self, path: Path, message: str, *, at_key: bool = False) -> None:
        """Record a problem at `path` (its key when `at_key`, else its value)."""
        where = self.locate_key(path) if at_key else self.locate(path)
        self.diagnostics.append(Diagnostic(where, message))


MISSING = object()


def value_at(data: Any, path: Path) -> Any:
    """The value at `path` inside parsed data, or MISSING when the path does not lead there."""
    for part in path:
        if isinstance(data, Mapping):
            if part not in data:
                return MISSING
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return MISSING
    return data


def _location(file: str, mark: yaml.Mark) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document, reporting syntax errors and duplicate keys as diagnostics."""
    doc = YamlDocument(file)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, such as NUL
        doc.diagnostics.append(_reader_diagnostic(file, text, exc))
        return doc
    try:
        node = loader.get_single_node()
        if node is None:
            doc.empty = True
            return doc
        _index(doc, node, (), set())
        doc.value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        doc.diagnostics.append(_syntax_diagnostic(file, exc))
        doc.value = None
    finally:
        loader.dispose()
    return doc


def _syntax_diagnostic(file: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """Word PyYAML's own explanation, at the mark where it noticed the problem."""
    mark = exc.problem_mark or exc.context_mark
    where = _location(file, mark) if mark else Location(file, 1, 1)
    problem = exc.problem or "cannot be parsed"
    context = f" ({exc.context})" if exc.context else ""
    return Diagnostic(where, f"YAML syntax error: {problem}{context}")


def _reader_diagnostic(file: str, text: str, exc: yaml.reader.ReaderError) -> Diagnostic:
    """A character YAML does not allow (a control character), at its place in the text."""
    position = max(0, min(exc.position, len(text)))
    line_start = text.rfind("\n", 0, position) + 1
    where = Location(file, text.count("\n", 0, position) + 1, position - line_start + 1)
    return Diagnostic(where, f"YAML syntax error: the character U+{exc.character:04X} is not "
                             "allowed in a YAML file; remove it")


def _index(doc: YamlDocument, node: yaml.Node, path: Path, active: set[int]) -> None:
    """Record where `node` and its children start; report duplicate mapping keys."""
    if id(node) in active:  # a recursive alias: its places are already recorded
        return
    doc.values[path] = _location(doc.file, node.start_mark)
    active.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(doc, item, (*path, i), active)
    elif isinstance(node, yaml.MappingNode):
        _index_mapping(doc, node, path, active)
    active.discard(id(node))


def _index_mapping(doc: YamlDocument, node: yaml.MappingNode, path: Path, active: set[int]) -> None:
    seen: dict[object, yaml.Node] = {}
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = key_node.value
        if key in seen:
            first = seen[key].start_mark.line + 1
            doc.diagnostics.append(Diagnostic(
                _location(doc.file, key_node.start_mark),
                f"duplicate key '{key}' (first defined on line {first}); "
                "only one value can be kept, remove the other",
            ))
            continue
        seen[key] = key_node
        doc.keys[(*path, key)] = _location(doc.file, key_node.start_mark)
        _index(doc, value_node, (*path, key), active)
