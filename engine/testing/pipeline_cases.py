"""Pipeline test cases kept as data: a source record in, the exact target payload out.

A person editing a mapping can check it with `ml-connector pipeline test NAME`, without
Python; pytest runs the same files. Cases live beside the pipelines, in
`cases/<pipeline name>.yaml`. Numbers with a decimal point are read as exact decimals, the
way connectors read money, and compared with their type: `1250` (minor units) is not
`12.50`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.errors import (
    MissingLink,
    MlConnectorError,
    PipelineInvalid,
    RecordError,
)
from ml_connector.engine.loading import PipelineSet
from ml_connector.engine.loading.files import read_document
from ml_connector.engine.loading.schema_errors import validate
from ml_connector.engine.loading.schemas import load_schema
from ml_connector.engine.mapping import render
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.sync.context import NO_DEFAULT, render_context
from ml_connector.engine.sync.values import CASE_FILE, readable


@dataclass(frozen=True)
class PipelineCase:
    name: str
    pipeline: str
    record: Mapping[str, Any]
    location: Location
    source_id: str = "case"
    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    lookups: Mapping[str, str] = field(default_factory=dict)
    expect: Any = None
    expect_error: str | None = None


@dataclass(frozen=True)
class CaseResult:
    case: PipelineCase
    passed: bool
    problems: tuple[str, ...] = ()


def cases_file(pipeline: Pipeline) -> Path:
    return Path(pipeline.path).parent / "cases" / f"{pipeline.name}.yaml"


def load_cases(path: Path) -> list[PipelineCase]:
    """Every case in a file; all problems at once as located diagnostics."""
    doc = read_document(path)
    if doc.value is not None and not validate(doc, doc.value, load_schema("cases.schema.json")):
        for index, item in enumerate(doc.value["cases"]):
            if ("expect" in item) == ("expect_error" in item):
                doc.error(("cases", index), "a case needs exactly one of 'expect' (the payload) "
                          "or 'expect_error' (text of the expected error)")
    if doc.diagnostics:
        raise PipelineInvalid(doc.diagnostics)
    data = _exact(doc.value)
    return [PipelineCase(name=item["name"], pipeline=data["pipeline"], record=item["record"],
                         location=doc.locate(("cases", index)),
                         source_id=str(item.get("id", "case")), links=item.get("links", {}),
                         lookups=item.get("lookups", {}),
                         expect=item.get("expect"), expect_error=item.get("expect_error"))
            for index, item in enumerate(data["cases"])]


def run_case(case: PipelineCase, pipelines: PipelineSet) -> CaseResult:
    pipeline = pipelines.get(case.pipeline)
    record = Record(pipeline.source.entity, case.source_id, case.record)
    context = render_context(pipeline, record, _CaseLinks(case, pipelines))
    try:
        payload = render(pipeline.mapping, context, pipeline=pipeline.name,
                         record_id=case.source_id)
    except MlConnectorError as exc:
        if case.expect_error is not None and case.expect_error in str(exc):
            return CaseResult(case, True)
        return CaseResult(case, False, (f"render failed: {exc}",))
    if case.expect_error is not None:
        return CaseResult(case, False, (f"expected an error containing "
                                        f"{readable(case.expect_error, CASE_FILE)}, "
                                        "but the record rendered",))
    problems = tuple(differences(case.expect, payload))
    return CaseResult(case, not problems, problems)


def differences(expected: Any, actual: Any, path: str = "") -> Iterator[str]:
    """Each place where `actual` differs from `expected`, in value or in type."""
    where = path or "(payload)"
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        for key in sorted(set(expected) | set(actual), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                yield f"{sub}: missing (expected {readable(expected[key], CASE_FILE)})"
            elif key not in expected:
                yield f"{sub}: not expected (got {readable(actual[key], CASE_FILE)})"
            else:
                yield from differences(expected[key], actual[key], sub)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            yield f"{where}: expected {len(expected)} items, got {len(actual)}"
        for index, (e, a) in enumerate(zip(expected, actual, strict=False)):
            yield from differences(e, a, f"{path}[{index}]")
    elif _kind(expected) != _kind(actual):
        yield (f"{where}: expected {readable(expected, CASE_FILE)} "
               f"({_kind_word(expected)}), "
               f"got {readable(actual, CASE_FILE)} ({_kind_word(actual)})")
    elif expected != actual:
        yield (f"{where}: expected {readable(expected, CASE_FILE)}, "
               f"got {readable(actual, CASE_FILE)}")


_KIND_WORDS = {"int": "a whole number", "decimal": "a decimal", "str": "text",
               "bool": "true/false", "NoneType": "null", "dict": "a mapping", "list": "a list"}


def _kind_word(value: Any) -> str:
    return _KIND_WORDS.get(_kind(value), "a value")



def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, int):
        return "int"
    if isinstance(value, Decimal | float):
        return "decimal"
    return type(value).__name__


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


class _CaseLinks:
    """`link()` answered from the case's `links:` table; a missing one is a clear failure."""

    def __init__(self, case: PipelineCase, pipelines: PipelineSet):
        self.case, self.pipelines = case, pipelines

    def link(self, pipeline: str, source_id: Any) -> str | None:
        if source_id is None or source_id == "":
            return None
        self.pipelines.get(pipeline)
        target = self.case.links.get(pipeline, {}).get(str(source_id))
        if target is None:
            raise MissingLink(pipeline, str(source_id))
        return target

    def lookup(self, connection: str, entity: str, field: str, value: Any,
               default: Any = NO_DEFAULT) -> Any:
        key = f"{connection}/{entity}/{field}/{value}"
        if key not in self.case.lookups and default is not NO_DEFAULT:
            return default
        if key not in self.case.lookups:
            raise RecordError(f"lookup {key!r} has no answer in the case's `lookups:`")
        return self.case.lookups[key]

    def linked_source(self, pipeline: str, target_id: Any) -> str | None:
        for source_id, target in self.case.links.get(pipeline, {}).items():
            if target == str(target_id):
                return source_id
        return None


def check_pipeline(pipeline: Pipeline, pipelines: PipelineSet) -> list[CaseResult]:
    """Run the pipeline's cases file; a pipeline without one is a failure, not a silent pass."""
    path = cases_file(pipeline)
    if not path.exists():
        missing = PipelineCase("(no cases)", pipeline.name, {}, Location(str(path), 1, 1))
        return [CaseResult(missing, False, (f"no cases file at {path}",))]
    cases = load_cases(path)
    wrong = [c for c in cases if c.pipeline != pipeline.name]
    if wrong:
        raise PipelineInvalid([Diagnostic(c.location, f"case is for pipeline {c.pipeline!r}, "
                                          f"not {pipeline.name!r}") for c in wrong])
    return [run_case(case, pipelines) for case in cases]
