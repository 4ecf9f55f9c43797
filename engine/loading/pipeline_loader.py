"""Loading one pipeline file: schema, project checks, compiled expressions and the field
names they use, all located.

A file is checked as far as its shape allows: a section with a schema error is not checked
further (its problem is already reported), every other section still is, so one run shows
every mistake in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.loading.delivery_checks import check_delivery
from ml_connector.engine.loading.field_checks import field_problems
from ml_connector.engine.loading.files import read_document
from ml_connector.engine.loading.pipeline_checks import (
    Scope,
    Side,
    build_policies,
    build_triggers,
    check_match_field,
    check_side,
)
from ml_connector.engine.loading.schema_errors import validate
from ml_connector.engine.loading.schemas import pipeline_schema
from ml_connector.engine.loading.yaml_nodes import MISSING, YamlDocument, value_at
from ml_connector.engine.loading.yaml_nodes import Path as NodePath
from ml_connector.engine.mapping import (
    CONTEXT_NAMES,
    Expression,
    ExpressionError,
    compile_expression,
    compile_mapping,
    unusable,
)
from ml_connector.engine.model.pipeline import MatchKey, Pipeline, Policies, Trigger

FILTER_EXPECTED = 'source.filter: expected a single expression such as "{{ record.Active }}"'


@dataclass
class PipelineDraft:
    """What one file yielded: enough for cross-file checks even when the file has errors.

    `name` and `depends_on` are kept whenever they are well formed, so duplicate names,
    unknown dependencies and cycles are reported alongside the file's own problems.
    `pipeline` is set only when the file itself has no problem.
    """

    doc: YamlDocument
    name: str | None = None
    depends_on: list[tuple[str, Location]] = field(default_factory=list)
    pipeline: Pipeline | None = None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.doc.diagnostics


@dataclass
class _FileCheck:
    """One file being checked: its document, data, the paths already known bad, the scope."""

    doc: YamlDocument
    data: Mapping[str, Any]
    bad: set[NodePath]
    scope: Scope
    compiled: list[tuple[NodePath, Expression]] = field(default_factory=list)

    def ok(self, *path: str | int) -> bool:
        """Whether a value sits at `path` and nothing in or below it broke the schema."""
        if any(p[: len(path)] == path for p in self.bad):
            return False
        return value_at(self.data, path) is not MISSING

    def expression(self, path: NodePath) -> Expression | None:
        """Compile the value at `path`, reporting its problems; None when it has some."""
        value, where = value_at(self.data, path), self.doc.locate(path)
        try:
            expression = compile_expression(value, where, CONTEXT_NAMES)
        except ExpressionError as exc:
            self.doc.diagnostics.extend(exc.diagnostics)
            self.compiled.append((path, unusable(value, where)))
            return None
        self.compiled.append((path, expression))
        return expression


def load_pipeline_file(path: Path, scope: Scope) -> PipelineDraft:
    """Read and check one pipeline file against the project's connections and plugins."""
    doc = read_document(path)
    draft = PipelineDraft(doc)
    if doc.empty:
        doc.diagnostics.append(Diagnostic(Location(doc.file, 1, 1), "file is empty: expected a "
                                          "pipeline with name, source, target and mapping"))
    if doc.value is None:
        return draft
    bad = validate(doc, doc.value, pipeline_schema())
    if not isinstance(doc.value, Mapping):
        return draft
    check = _FileCheck(doc, doc.value, bad, scope)
    _fill_identity(check, draft)
    pipeline = _build(check, path)
    draft.pipeline = pipeline if not doc.diagnostics else None
    return draft


def _fill_identity(check: _FileCheck, draft: PipelineDraft) -> None:
    if check.ok("name"):
        draft.name = check.data["name"]
    if check.ok("depends_on"):
        draft.depends_on = [(dep, check.doc.locate(("depends_on", i)))
                            for i, dep in enumerate(check.data["depends_on"])]


def _build(check: _FileCheck, path: Path) -> Pipeline | None:
    """Check every section; the Pipeline value is only meaningful when nothing was reported."""
    data, doc = check.data, check.doc
    source, target = _side(check, "source"), _side(check, "target")
    source_filter = _source_expression(check, "filter")
    deleted_when = _source_expression(check, "deleted_when")
    occurred_at = _source_expression(check, "occurred_at")
    match = _match_keys(check, target)
    mapping = _mapping(check)
    doc.diagnostics.extend(field_problems(doc, source, target, check.compiled, mapping))
    triggers, policies = _triggers(check, source), _policies(check, target)
    if check.ok("params"):
        check_delivery(doc, data.get("params") or {}, source, check.scope)
    if doc.diagnostics or source is None or target is None or mapping is None:
        return None
    return Pipeline(
        name=data["name"], description=data.get("description", ""),
        source=source.endpoint, target=target.endpoint, mapping=mapping,
        path=str(path.absolute()), file_digest=doc.digest, location=doc.locate(("name",)),
        source_filter=source_filter, source_deleted_when=deleted_when,
        source_occurred_at=occurred_at, match=match,
        depends_on=tuple(data.get("depends_on", ())),
        **({"triggers": triggers} if triggers is not None else {}),
        **({"policies": policies} if policies is not None else {}),
        params=dict(data.get("params", {})),
        link_back=data.get("link_back"),
    )


def _side(check: _FileCheck, side: str) -> Side | None:
    if not (check.ok(side, "connection") and check.ok(side, "entity")):
        return None
    return check_side(check.doc, side, check.data[side], check.scope)


def _source_expression(check: _FileCheck, key: str) -> Expression | None:
    """`source.filter`, `deleted_when` or `occurred_at`: each must be one `{{ expression }}`."""
    if not check.ok("source", key):
        return None
    expression = check.expression(("source", key))
    if expression is not None and expression.kind != "native":
        check.doc.error(("source", key), FILTER_EXPECTED.replace("source.filter",
                                                                  f"source.{key}"))
        return None
    return expression


def _match_keys(check: _FileCheck, target: Side | None) -> tuple[MatchKey, ...]:
    if not isinstance(check.data.get("match"), list):
        return ()
    keys = []
    for i, entry in enumerate(check.data["match"]):
        if target is not None and check.ok("match", i, "target_field"):
            check_match_field(check.doc, i, entry["target_field"], target)
        value = check.expression(("match", i, "value")) if check.ok("match", i, "value") else None
        if value is not None and check.ok("match", i, "target_field"):
            keys.append(MatchKey(entry["target_field"], value))
    return tuple(keys)


def _triggers(check: _FileCheck, source: Side | None) -> tuple[Trigger, ...] | None:
    raw = check.data.get("triggers")
    if not isinstance(raw, list):
        return None
    usable = [(i, entry) for i, entry in enumerate(raw) if check.ok("triggers", i)]
    return build_triggers(check.doc, usable, check.scope, source)


def _policies(check: _FileCheck, target: Side | None) -> Policies | None:
    raw = check.data.get("policies")
    if not isinstance(raw, Mapping):
        return None
    usable = {key: value for key, value in raw.items() if check.ok("policies", key)}
    return build_policies(check.doc, usable, target)


def _mapping(check: _FileCheck) -> Any:
    if not check.ok("mapping"):
        return None
    node, problems = compile_mapping(check.data["mapping"], check.doc.locate, CONTEXT_NAMES,
                                     ("mapping",))
    check.doc.diagnostics.extend(problems)
    return node
