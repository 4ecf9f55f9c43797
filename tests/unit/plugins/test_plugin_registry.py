"""PluginRegistry: lazy discovery, broken plugins as readable problems, "did you mean"."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import pytest

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.plugins.protocol import ConnectorContext, ConnectorPlugin, EntitySpec
from ml_connector.engine.plugins.registry import (
    ConnectorUnavailable,
    PluginRegistry,
    UnknownConnector,
)


class FakePlugin:
    """The smallest object satisfying ConnectorPlugin."""

    description = "a fake system"

    def __init__(self, name: str):
        self.name = name

    def config_schema(self) -> Mapping[str, Any]:
        return {"type": "object"}

    def entities(self) -> Mapping[str, EntitySpec]:
        return {"thing": EntitySpec("thing")}

    def connect(self, context: ConnectorContext) -> Any:
        raise NotImplementedError("never connected in these tests")

    def emulator_app(self, options: Mapping[str, Any]) -> Any | None:
        return None


PLUGIN_MODULE = '''
class Plugin:
    name = "probe"
    description = "declared through an entry point"
    def config_schema(self): return {"type": "object"}
    def entities(self): return {}
    def connect(self, context): raise NotImplementedError
    def emulator_app(self, options): return None

plugin = Plugin()
'''


def two_systems() -> PluginRegistry:
    return PluginRegistry.from_plugins({"quickbooks": FakePlugin("quickbooks"),
                                        "stripe": FakePlugin("stripe")})


def test_get_returns_the_named_plugin() -> None:
    registry = two_systems()
    assert registry.get("stripe").name == "stripe"
    assert registry.names() == ["quickbooks", "stripe"]
    assert registry.problems == []


def test_unknown_name_suggests_the_closest_installed_one() -> None:
    with pytest.raises(UnknownConnector) as caught:
        two_systems().get("strpe")
    assert str(caught.value) == ("unknown connector 'strpe' (did you mean 'stripe'?); "
                                 "installed: quickbooks, stripe")
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.exit_code == 2


def test_unknown_name_without_a_close_match_lists_what_is_installed() -> None:
    with pytest.raises(UnknownConnector, match=r"^unknown connector 'xero'; installed: "
                                               r"quickbooks, stripe$"):
        two_systems().get("xero")
    with pytest.raises(UnknownConnector, match="installed: none"):
        PluginRegistry.from_plugins({}).get("stripe")


def test_with_plugin_returns_a_copy_and_leaves_the_original_alone() -> None:
    original = two_systems()
    extended = original.with_plugin("notes", FakePlugin("notes"))
    assert extended.get("notes").name == "notes"
    assert extended.get("stripe") is original.get("stripe")
    assert "notes" not in original.names()
    with pytest.raises(UnknownConnector):
        original.get("notes")


def test_with_plugin_replaces_a_broken_plugin_of_the_same_name() -> None:
    broken = PluginRegistry.from_plugins({"stripe": object()})  # type: ignore[dict-item]
    assert [p.name for p in broken.problems] == ["stripe"]
    fixed = broken.with_plugin("stripe", FakePlugin("stripe"))
    assert fixed.problems == []
    assert fixed.get("stripe").name == "stripe"


def test_an_object_that_is_not_a_plugin_is_a_problem_not_a_crash() -> None:
    registry = PluginRegistry.from_plugins({"odd": object(), "ok": FakePlugin("ok")})  # type: ignore[dict-item]
    [problem] = registry.problems
    assert problem.name == "odd"
    assert "object is not a connector plugin" in problem.reason
    assert "missing config_schema, connect, description, emulator_app, entities, name" in (
        problem.reason)
    with pytest.raises(ConnectorUnavailable, match="'odd' is installed but cannot be used"):
        registry.get("odd")
    assert registry.get("ok").name == "ok"


def test_a_missing_module_is_reported_with_a_readable_reason(site) -> None:
    site.declare("broken-plugin", {"ghost": "mlc_no_such_module.plugin:plugin"})
    registry = PluginRegistry.from_entry_points()
    assert "ghost" in registry.names()
    [problem] = [p for p in registry.problems if p.name == "ghost"]
    assert problem.value == "mlc_no_such_module.plugin:plugin"
    assert problem.reason == ("cannot load: ModuleNotFoundError: "
                              "No module named 'mlc_no_such_module'")
    assert "\n" not in str(problem)
    with pytest.raises(ConnectorUnavailable, match="No module named 'mlc_no_such_module'"):
        registry.get("ghost")


@pytest.mark.parametrize(("source", "target", "reason"), [
    ("raise RuntimeError('database URL not set')\n", "mlc_probe:plugin",
     "cannot load: RuntimeError: database URL not set"),
    ("x = 1\n", "mlc_probe:plugin", "cannot load: AttributeError"),
    (PLUGIN_MODULE, "mlc_probe:Plugin", "names the class Plugin, not a plugin object"),
    ("plugin = len\n", "mlc_probe:plugin", "missing config_schema"),
])
def test_broken_plugins_become_problems(site, source: str, target: str, reason: str) -> None:
    site.module("mlc_probe", source)
    site.declare("probe-plugin", {"probe": target})
    [problem] = [p for p in PluginRegistry.from_entry_points().problems if p.name == "probe"]
    assert reason in problem.reason


def test_plugins_are_imported_only_when_first_asked_for(site) -> None:
    site.module("mlc_probe", PLUGIN_MODULE)
    site.declare("probe-plugin", {"probe": "mlc_probe:plugin"})
    registry = PluginRegistry.from_entry_points()
    assert "probe" in registry.names()
    assert "mlc_probe" not in sys.modules
    plugin = registry.get("probe")
    assert "mlc_probe" in sys.modules
    assert isinstance(plugin, ConnectorPlugin)
    assert registry.get("probe") is plugin


def test_a_name_two_distributions_declare_differently_is_refused_not_guessed(site) -> None:
    site.module("mlc_probe", PLUGIN_MODULE)
    site.declare("probe-one", {"probe": "mlc_probe:plugin"})
    site.declare("probe-two", {"probe": "mlc_probe_other:plugin"})
    registry = PluginRegistry.from_entry_points()
    assert "probe" in registry.names()
    [problem] = [p for p in registry.problems if p.name == "probe"]
    assert problem.value == "mlc_probe:plugin, mlc_probe_other:plugin"
    assert "several distributions (probe-one, probe-two)" in problem.reason
    with pytest.raises(ConnectorUnavailable, match="uninstall all but one"):
        registry.get("probe")


def test_the_shipped_connectors_are_listed_whether_or_not_they_load_yet() -> None:
    registry = PluginRegistry.from_entry_points()
    broken = {p.name for p in registry.problems}
    for name in ("quickbooks", "stripe"):
        assert name in registry.names()
        if name in broken:
            with pytest.raises(ConnectorUnavailable):
                registry.get(name)
        else:
            assert isinstance(registry.get(name), ConnectorPlugin)
