"""Which connector plugins are installed, loaded only when the engine first asks for one.

Plugins are found through the `ml_connector.connectors` entry-point group, so a new system
is a `pip install` away and needs no change to the engine. One broken plugin must not take
the others down: a plugin that fails to import, or whose object is not a `ConnectorPlugin`,
becomes a `PluginProblem` a user can read (`ml-connector` lists them), never a crash.

Tests build a registry from a plain mapping, or copy one with an extra plugin, instead of
patching entry points.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.plugins.protocol import ConnectorPlugin

ENTRY_POINT_GROUP = "ml_connector.connectors"


@dataclass(frozen=True)
class PluginProblem:
    """A declared plugin that cannot be used: its name, entry-point value and one-line reason."""

    name: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"connector {self.name!r} ({self.value}): {self.reason}"


class UnknownConnector(InvalidInput, KeyError):
    """No plugin of this name is installed; the message suggests the closest installed name."""

    def __init__(self, name: str, installed: list[str]):
        self.name, self.installed = name, installed
        close = difflib.get_close_matches(name, installed, n=1)
        self.suggestion = close[0] if close else None
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        self.message = (f"unknown connector {name!r}{hint}; "
                        f"installed: {', '.join(installed) or 'none'}")
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ConnectorUnavailable(InvalidInput):
    """The plugin is declared but cannot be used; the message says why."""

    def __init__(self, problem: PluginProblem):
        self.problem = problem
        super().__init__(f"connector {problem.name!r} is installed but cannot be used: "
                         f"{problem.reason} (entry point {problem.value})")


@dataclass(frozen=True)
class _Source:
    """Where a plugin comes from: the entry-point value to show, and how to load it."""

    value: str
    load: Callable[[], object]


class PluginRegistry:
    """The installed connector plugins by name; loads each one the first time it is asked for.

    Thread-safe: several workers may ask for the same plugin at once, and it loads once.
    """

    def __init__(self, sources: Mapping[str, _Source],
                 failed: Mapping[str, PluginProblem] | None = None):
        self._sources = dict(sources)
        self._loaded: dict[str, ConnectorPlugin] = {}
        self._failed: dict[str, PluginProblem] = dict(failed or {})
        self._lock = threading.RLock()

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> PluginRegistry:
        """Every plugin declared in `group`; nothing is imported until it is asked for.

        A name that several distributions declare differently is ambiguous: the registry
        refuses to guess and reports it in `problems` until all but one are uninstalled.
        """
        declared: dict[str, list[importlib.metadata.EntryPoint]] = {}
        for entry in _declared_entry_points(group):
            declared.setdefault(entry.name, []).append(entry)
        sources: dict[str, _Source] = {}
        failed: dict[str, PluginProblem] = {}
        for name, entries in declared.items():
            values = sorted({entry.value for entry in entries})
            if len(values) == 1:
                sources[name] = _Source(values[0], entries[0].load)
            else:
                failed[name] = PluginProblem(name, ", ".join(values), _ambiguity(entries))
        return cls(sources, failed)

    @classmethod
    def from_plugins(cls, plugins: Mapping[str, ConnectorPlugin]) -> PluginRegistry:
        """A registry of ready-made plugin objects, for tests and embedding."""
        return cls({name: _object_source(plugin) for name, plugin in plugins.items()})

    def with_plugin(self, name: str, plugin: ConnectorPlugin) -> PluginRegistry:
        """A copy with `plugin` added under `name` (replacing any plugin of that name)."""
        with self._lock:
            copy = PluginRegistry({**self._sources, name: _object_source(plugin)},
                                  {k: v for k, v in self._failed.items() if k != name})
            copy._loaded = {k: v for k, v in self._loaded.items() if k != name}
        return copy

    def names(self) -> list[str]:
        """Names of every declared plugin, usable or not (see `problems`), sorted."""
        return sorted({*self._sources, *self._failed})

    def get(self, name: str) -> ConnectorPlugin:
        """The plugin called `name`, loading it now if this is the first request for it.

        Raises `UnknownConnector` for a name nobody declared and `ConnectorUnavailable` for
        a declared plugin that cannot be loaded.
        """
        with self._lock:
            if name not in self._sources and name not in self._failed:
                raise UnknownConnector(name, self.names())
            self._load(name)
            if name in self._failed:
                raise ConnectorUnavailable(self._failed[name])
            return self._loaded[name]

    @property
    def problems(self) -> list[PluginProblem]:
        """Every plugin that cannot be used, and why; asking loads all plugins to find out."""
        with self._lock:
            for name in self._sources:
                self._load(name)
            return [self._failed[name] for name in sorted(self._failed)]

    def _load(self, name: str) -> None:
        """Load `name` once, recording either the plugin or the problem (caller holds the lock)."""
        if name in self._loaded or name in self._failed:
            return
        source = self._sources[name]
        try:
            candidate = source.load()
        except Exception as exc:  # any import-time failure is the plugin's, not the engine's
            self._failed[name] = PluginProblem(name, source.value, f"cannot load: {_one_line(exc)}")
            return
        reason = plugin_defect(candidate)
        if reason is None:
            self._loaded[name] = candidate  # type: ignore[assignment]
        else:
            self._failed[name] = PluginProblem(name, source.value, reason)


def _declared_entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    """Every entry point in `group`, one distribution of each name (the first on sys.path).

    `importlib.metadata.entry_points()` silently keeps one entry point per name, so a clash
    between two distributions would go unnoticed; reading each distribution shows it.
    """
    seen: set[str] = set()
    found: list[importlib.metadata.EntryPoint] = []
    for dist in importlib.metadata.distributions():
        key = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
        if key in seen:
            continue
        seen.add(key)
        found.extend(entry for entry in dist.entry_points if entry.group == group)
    return found


def _ambiguity(entries: list[importlib.metadata.EntryPoint]) -> str:
    owners = sorted({entry.dist.name if entry.dist else "?" for entry in entries})
    return (f"declared differently by several distributions ({', '.join(owners)}); "
            "uninstall all but one")


def _object_source(plugin: object) -> _Source:
    kind = type(plugin)
    return _Source(f"{kind.__module__}:{kind.__qualname__}", lambda: plugin)


def _protocol_members() -> list[str]:
    """The attributes and methods `ConnectorPlugin` requires, read from the protocol itself."""
    methods = {n for n, v in vars(ConnectorPlugin).items() if not n.startswith("_")
               and callable(v)}
    return sorted(methods | set(ConnectorPlugin.__annotations__))


def plugin_defect(candidate: object) -> str | None:
    """Why `candidate` is not a usable `ConnectorPlugin`, or None when it is one."""
    if isinstance(candidate, type):
        return (f"the entry point names the class {candidate.__qualname__}, not a plugin "
                "object; point it at an instance")
    missing = [m for m in _protocol_members() if not hasattr(candidate, m)]
    if missing:
        return (f"{type(candidate).__qualname__} object is not a connector plugin: "
                f"missing {', '.join(missing)}")
    return None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
