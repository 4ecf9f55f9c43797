"""No false alarm from the field checks, on every pipeline that is meant to load.

The checks stop a run before it starts, so one wrong "is not a field" would stop a pipeline
that works. Every pipeline the product ships (the end-to-end, fault and benchmark suites
run those), and every pipeline a test suite writes for a real connector (bad input, fuzz,
sandbox, the Stripe connector's pipelines), must load with the real plugins without a
single diagnostic; so must pipelines of a plugin that describes no fields (the sample
plugin), whatever they read.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from jinja2 import Environment

from ml_connector.connectors.stripe.plugin import plugin as stripe_plugin
from ml_connector.engine.loading import load_workspace
from ml_connector.engine.loading.links import pipeline_expressions
from ml_connector.engine.loading.project_loader import shipped_pipelines_dir
from ml_connector.engine.plugins.registry import PluginRegistry

TESTS = Path(__file__).parents[2]
PROJECT = """\
version: 1
pipelines: [pipelines]
connections:
  quickbooks:
    connector: quickbooks
    settings: {client_id: checks, client_secret: "${secret:quickbooks.client_secret}"}
  stripe:
    connector: stripe
    settings: {secret_key: "${secret:stripe.secret_key}"}
"""


def suite_module(relative: str) -> ModuleType:
    """A test suite's module, imported by path (test folders are not packages)."""
    name = f"suite_{Path(relative).stem}"
    spec = importlib.util.spec_from_file_location(name, TESTS / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def suite_pipelines() -> dict[str, dict[str, str]]:
    """The pipeline files each suite writes for the real connectors, by suite."""
    badinput = suite_module("badinput/badinput_world.py")
    fuzz = suite_module("fuzz/test_fuzz_pipeline_loader.py")
    sandbox = suite_module("security/test_security_jinja_sandbox.py")
    escapes = {f"escape-{name}.yaml": sandbox.pipeline(f"escape-{name}", expression)
               for name, expression in sandbox.ESCAPES.items()}
    return {
        "badinput": {"customers.yaml": badinput.CUSTOMERS, "refunds.yaml": badinput.REFUNDS},
        "fuzz": {"customers.yaml": fuzz.CUSTOMERS, "invoices.yaml": fuzz.INVOICES},
        "jinja-sandbox": {**escapes, "verbatim.yaml": sandbox.VERBATIM},
    }


def load_folder(root: Path, files: dict[str, str], registry: PluginRegistry,
                project: str = PROJECT) -> list[str]:
    (root / "pipelines").mkdir()
    for name, text in files.items():
        (root / "pipelines" / name).write_text(text, encoding="utf-8")
    (root / "ml-connector.yaml").write_text(project, encoding="utf-8")
    _, pipelines = load_workspace(root / "ml-connector.yaml", registry=registry)
    return sorted(pipelines.pipelines)


def test_every_shipped_pipeline_loads_without_a_diagnostic(tmp_path: Path) -> None:
    shipped = {path.name: path.read_text(encoding="utf-8")
               for path in shipped_pipelines_dir().glob("*.yaml")}
    loaded = load_folder(tmp_path, shipped, PluginRegistry.from_entry_points())
    assert len(loaded) == len(shipped) >= 6


@pytest.mark.parametrize("suite", sorted(suite_pipelines()))
def test_every_pipeline_a_suite_runs_loads_without_a_diagnostic(suite: str,
                                                                tmp_path: Path) -> None:
    files = suite_pipelines()[suite]
    loaded = load_folder(tmp_path, files, PluginRegistry.from_entry_points())
    assert len(loaded) == len(files)


NOTES_TO_STRIPE = """\
name: notes-to-stripe
description: Whatever a note holds is read; the plugin describes no fields.
source: {connection: inbox, entity: note}
target: {connection: stripe, entity: customer}
mapping:
  name: "{{ record.title.anything }}"
  description: "{{ record.body[0].deep.inside | default('') }}"
  metadata: {source_id: "{{ record.metadata.source_id }}"}
"""
STRIPE_TO_NOTES = """\
name: stripe-to-notes
description: Any key is written to a note; the plugin describes no fields.
source: {connection: stripe, entity: customer}
target: {connection: archive, entity: note}
mapping:
  title: "{{ record.name }}"
  made_up_key: {deeper: "{{ record.email }}"}
"""


def test_the_pipelines_of_the_stripe_connector_suite_load_without_a_diagnostic(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its source is an in-memory stand-in that describes no fields; Stripe is checked."""
    monkeypatch.syspath_prepend(str(TESTS / "stripe"))
    suite = suite_module("stripe/connector/test_stripe_connector_pipeline.py")
    registry = PluginRegistry.from_plugins({"books": suite.Books(), "stripe": stripe_plugin})
    project = ("version: 1\npipelines: [pipelines]\nconnections:\n"
               "  books: {connector: books, settings: {}}\n"
               "  stripe: {connector: stripe, settings: {secret_key: '${env:STRIPE_KEY}'}}\n")
    invoices = suite.INVOICES.replace("POLICY", "void_and_recreate")
    loaded = load_folder(tmp_path, {"customers.yaml": suite.CUSTOMERS,
                                    "invoices.yaml": invoices}, registry, project)
    assert loaded == ["customers-to-stripe", "invoices-to-stripe"]


def test_a_plugin_that_describes_no_fields_is_not_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(TESTS / "fixtures" / "sample_plugin" / "src"))
    from mlc_sample_plugin.plugin import plugin as notes_plugin

    assert all(spec.record_fields is None and spec.payload_fields is None
               for spec in notes_plugin.entities().values())
    registry = PluginRegistry.from_plugins({"notes": notes_plugin, "stripe": stripe_plugin})
    project = ("version: 1\npipelines: [pipelines]\nconnections:\n"
               "  inbox: {connector: notes, settings: {path: inbox.json}}\n"
               "  archive: {connector: notes, settings: {path: archive.json}}\n"
               "  stripe: {connector: stripe, settings: {secret_key: '${env:STRIPE_KEY}'}}\n")
    loaded = load_folder(tmp_path, {"in.yaml": NOTES_TO_STRIPE, "out.yaml": STRIPE_TO_NOTES},
                         registry, project)
    assert loaded == ["notes-to-stripe", "stripe-to-notes"]


def test_loading_parses_each_expression_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The field and link checks read the template compiling it parsed, not a parse of
    their own; a project of many pipelines loads with one parse per expression."""
    parsed: Counter[str] = Counter()
    parse = Environment.parse

    def counting(self: Environment, source: str, *args: object, **kwargs: object) -> object:
        parsed[source] += 1
        return parse(self, source, *args, **kwargs)

    monkeypatch.setattr(Environment, "parse", counting)
    shipped = {path.name: path.read_text(encoding="utf-8")
               for path in shipped_pipelines_dir().glob("*.yaml")}
    (tmp_path / "pipelines").mkdir()
    for name, text in shipped.items():
        (tmp_path / "pipelines" / name).write_text(text, encoding="utf-8")
    (tmp_path / "ml-connector.yaml").write_text(PROJECT, encoding="utf-8")
    _, pipelines = load_workspace(tmp_path / "ml-connector.yaml",
                                  registry=PluginRegistry.from_entry_points())
    compiled = Counter(e.source for p in pipelines for e in pipeline_expressions(p)
                       if e.kind != "literal")
    assert sum(compiled.values()) > 50 and parsed == compiled
