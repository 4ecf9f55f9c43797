"""Fuzzing the pipeline loader: any file yields a pipeline or `PipelineInvalid`, located.

The input is whatever a person (or an editor accident) can put in a pipeline file: random
YAML-ish text, and random mutations of valid pipelines (ours below and every shipped one),
made both to the text (lines dropped, doubled, re-indented, stray characters) and to the
parsed structure (values of another type, keys removed or misspelt). The loader must never
raise anything else, and every diagnostic must point into the file it is about.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_connector.engine.errors import PipelineInvalid
from ml_connector.engine.loading import load_workspace
from ml_connector.engine.loading.files import display_path
from ml_connector.engine.plugins.registry import PluginRegistry

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

PROJECT = """\
version: 1
pipelines: [pipelines]
connections:
  quickbooks:
    connector: quickbooks
    settings: {client_id: fuzz, client_secret: "${secret:quickbooks.client_secret}"}
  stripe:
    connector: stripe
    settings: {secret_key: "${secret:stripe.secret_key}"}
"""

CUSTOMERS = """\
name: customers-to-stripe
description: QuickBooks customers become Stripe customers.
source: {connection: quickbooks, entity: Customer, filter: "{{ record.Active }}"}
target: {connection: stripe, entity: customer}
match:
  - target_field: metadata.qbo_customer_id
    value: "{{ record.Id }}"
  - target_field: email
    value: "{{ record.PrimaryEmailAddr.Address | default(none) }}"
params: {prefix: "QBO "}
mapping:
  name: "{{ params.prefix ~ record.DisplayName }}"
  email?: "{{ record.PrimaryEmailAddr.Address }}"
  metadata:
    qbo_customer_id: "{{ record.Id }}"
policies: {on_source_delete: delete}
triggers:
  - webhook: quickbooks
  - poll: {every: 15m}
"""

INVOICES = """\
name: invoices-to-stripe
description: >-
  QuickBooks invoices become Stripe invoices, one line per sales line.
depends_on: [customers-to-stripe]
source: {connection: quickbooks, entity: Invoice}
target: {connection: stripe, entity: invoice}
match:
  - target_field: metadata.qbo_invoice_id
    value: "{{ record.Id }}"
mapping:
  customer: "{{ link('customers-to-stripe', record.CustomerRef.value) }}"
  currency: "{{ (record.CurrencyRef.value if record.CurrencyRef else 'USD') | lower }}"
  collection_method: send_invoice
  due_date: "{{ record.DueDate | unix_timestamp }}"
  description?: "{{ record.CustomerMemo.value }}"
  lines:
    for_each: "{{ record.Line | selectattr('DetailType', 'equalto', 'SalesItemLineDetail') }}"
    as: line
    item:
      description: "Line {{ line.LineNum }}: {{ line.Description }}"
      amount: "{{ line.Amount | minor_units(record.CurrencyRef.value) }}"
  metadata:
    qbo_invoice_id: "{{ record.Id }}"
policies:
  on_source_delete: void
  on_immutable_change: void_and_recreate
triggers:
  - webhook: quickbooks
  - poll: {every: 1h}
  - manual
"""


def shipped_pipelines() -> dict[str, str]:
    """The text of every pipeline the product ships, by file name (none yet is fine)."""
    folder = resources.files("ml_connector.pipelines")
    return {item.name: item.read_text(encoding="utf-8") for item in folder.iterdir()
            if item.name.endswith((".yaml", ".yml"))}


# Sets of pipeline files that load together; a fuzzed file replaces one member of a set.
BASE_SETS = [{"customers.yaml": CUSTOMERS, "invoices.yaml": INVOICES}]
if shipped_pipelines():
    BASE_SETS.append(shipped_pipelines())
MEMBERS = [(index, name) for index, files in enumerate(BASE_SETS) for name in sorted(files)]


class Workspace:
    """A project folder whose pipelines folder is rewritten for every example."""

    def __init__(self, root: Path):
        self.root = root
        (root / "ml-connector.yaml").write_text(PROJECT)
        self.folder = root / "pipelines"
        self.folder.mkdir()
        self.registry = PluginRegistry.from_entry_points()

    def load(self, fuzzed: str, member: tuple[int, str] = (0, "customers.yaml")) -> list[str]:
        """Load a base set with `member` replaced by `fuzzed`; the diagnostics' text."""
        for old in self.folder.iterdir():
            old.unlink()
        index, name = member
        for other, text in BASE_SETS[index].items():
            (self.folder / other).write_text(text, encoding="utf-8")
        (self.folder / name).write_text(fuzzed, encoding="utf-8", errors="surrogatepass")
        try:
            load_workspace(self.root / "ml-connector.yaml", registry=self.registry)
        except PipelineInvalid as invalid:
            return self.checked(invalid)
        return []

    def checked(self, invalid: PipelineInvalid) -> list[str]:
        assert invalid.diagnostics, "PipelineInvalid without a diagnostic"
        lines = {display_path(path): self.line_count(path) for path in self.folder.iterdir()}
        for diagnostic in invalid.diagnostics:
            where = diagnostic.location
            assert where.file in lines, f"{diagnostic} names no file that was loaded"
            assert 1 <= where.line <= lines[where.file] + 1, f"{diagnostic} is past the end"
            assert where.col >= 1 and diagnostic.message.strip()
            assert "Traceback" not in diagnostic.message
        return [str(d) for d in invalid.diagnostics]

    @staticmethod
    def line_count(path: Path) -> int:
        """Lines as YAML counts them (it also breaks lines at U+0085, U+2028 and U+2029)."""
        return len(path.read_bytes().decode("utf-8", "replace").splitlines())


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("loader-fuzz"))


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{m[0]}-{m[1]}")
def test_the_bases_are_valid(workspace: Workspace, member: tuple[int, str]) -> None:
    """The mutations start from files that load, so a refusal is the mutation's doing."""
    assert workspace.load(BASE_SETS[member[0]][member[1]], member) == []


# -- random text -----------------------------------------------------------------------------

YAMLISH = st.sampled_from([*"abcxyz019_. -:{}[],'\"|>&*!%#@`?\\\t\n",
                           "{{", "}}", "{%", "%}", "name:", "mapping:", "source:", "- ",
                           "for_each:", "  ", "\n  ", "\ufeff", "é", "\x00", "\x85",
                           "\ud800", "!!python/object:os.system", "<<: *a", "&a"])
yamlish_text = st.lists(YAMLISH, max_size=80).map("".join)


@FUZZ
@given(text=yamlish_text, member=st.sampled_from(MEMBERS))
def test_random_yamlish_text_is_a_pipeline_or_located_problems(
        workspace: Workspace, text: str, member: tuple[int, str]) -> None:
    workspace.load(text, member)


# -- mutations of the text of a valid pipeline -----------------------------------------------

@st.composite
def text_mutation(draw: st.DrawFn) -> tuple[str, tuple[int, str]]:
    member = draw(st.sampled_from(MEMBERS))
    lines = BASE_SETS[member[0]][member[1]].split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "double", "indent", "dedent", "insert", "cut"]))
        if kind == "drop" and len(lines) > 1:
            del lines[at]
        elif kind == "double":
            lines.insert(at, lines[at])
        elif kind == "indent":
            lines[at] = draw(st.sampled_from([" ", "  ", "\t"])) + lines[at]
        elif kind == "dedent":
            lines[at] = lines[at].lstrip()
        elif kind == "insert":
            col = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:col] + draw(yamlish_text) + lines[at][col:]
        else:
            col = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:col]
    return "\n".join(lines), member


@FUZZ
@given(mutated=text_mutation())
def test_text_mutations_of_valid_pipelines_fail_cleanly(
        workspace: Workspace, mutated: tuple[str, tuple[int, str]]) -> None:
    workspace.load(*mutated)


# -- mutations of the structure of a valid pipeline ------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(),
                    st.text(max_size=10), st.sampled_from(["{{ record.Id }}", "{{", "{% if %}",
                                                           "{{ record.__class__ }}", "15m",
                                                           "quickbooks", "Invoice"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a parsed document (the root excluded)."""
    found = []
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


@st.composite
def structure_mutation(draw: st.DrawFn) -> tuple[str, tuple[int, str]]:
    member = draw(st.sampled_from(MEMBERS))
    document = yaml.safe_load(BASE_SETS[member[0]][member[1]])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(document)))
        *parents, last = path
        container = document
        for step in parents:
            container = container[step]
        kind = draw(st.sampled_from(["replace", "delete", "rename"]))
        if kind == "replace":
            container[last] = draw(values)
        elif kind == "delete" or not isinstance(container, dict):
            del container[last]
        else:
            container[draw(st.text(min_size=1, max_size=10))] = container.pop(last)
        if not paths(document):
            break
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False), member


@FUZZ
@given(mutated=structure_mutation())
def test_structural_mutations_of_valid_pipelines_fail_cleanly(
        workspace: Workspace, mutated: tuple[str, tuple[int, str]]) -> None:
    workspace.load(*mutated)


def test_a_known_bad_file_is_reported_where_the_mistake_is(workspace: Workspace) -> None:
    """The fuzz checks above would pass vacuously if nothing ever failed: pin one case."""
    broken = CUSTOMERS.replace('  name: "{{ params.prefix ~ record.DisplayName }}"',
                              '  name: "{{ record.DisplayName | nope }}"')
    problems = workspace.load(broken)
    line = broken.split("\n").index('  name: "{{ record.DisplayName | nope }}"') + 1
    assert len(problems) == 1 and f"customers.yaml:{line}:" in problems[0]
    assert "unknown filter 'nope'" in problems[0]


def test_a_control_character_is_reported_at_its_place(workspace: Workspace) -> None:
    """Found by the fuzzing above: a NUL used to escape as a bare yaml ReaderError."""
    broken = INVOICES.replace("entity: Invoice}", "entity: Inv\x00oice}")
    (problem,) = workspace.load(broken, (0, "invoices.yaml"))
    lines = broken.split("\n")
    line = next(i for i, text in enumerate(lines, start=1) if "\x00" in text)
    col = lines[line - 1].index("\x00") + 1
    assert problem.endswith(f"invoices.yaml:{line}:{col}: YAML syntax error: the character "
                            "U+0000 is not allowed in a YAML file; remove it")


def test_a_match_key_without_target_field_is_reported_not_raised(workspace: Workspace) -> None:
    """Found by the fuzzing above: this used to raise KeyError('target_field')."""
    broken = CUSTOMERS.replace("  - target_field: metadata.qbo_customer_id\n    value:",
                               "  - value:")
    (problem,) = workspace.load(broken)
    assert problem.endswith("customers.yaml:6:5: missing required field 'target_field' in "
                            "match[0]")


def test_a_whole_float_interval_loads_like_the_integer(workspace: Workspace) -> None:
    """Found by the fuzzing above: `every: 60.0` passed the schema, then raised ValueError."""
    assert workspace.load(CUSTOMERS.replace("every: 15m", "every: 60.0")) == []
