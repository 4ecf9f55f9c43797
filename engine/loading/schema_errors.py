"""Turn JSON Schema validation errors into located, human sentences.

jsonschema's own messages quote Python reprs of whole sub-documents ("{'a': 1} is not of
type 'array'"), which helps nobody editing a YAML file and can echo secrets. Each error is
re-worded from its keyword, the value found and the schema's `x-expected` hint, and placed
at the YAML mark of the offending key or value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from jsonschema import Draft202012Validator, ValidationError

from ml_connector.engine.loading.suggest import closest, did_you_mean, one_of
from ml_connector.engine.loading.yaml_nodes import Path, YamlDocument

SHAPE_KEYWORDS = frozenset({"type", "const", "enum", "required"})
TYPE_WORDS = {
    "object": "a mapping", "array": "a list", "string": "a string", "integer": "a whole number",
    "number": "a number", "boolean": "true or false", "null": "nothing",
}


def describe(value: Any) -> str:
    """What kind of value the user wrote, in YAML words ("a list", "nothing")."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the string '{value}'" if isinstance(value, str) and len(value) <= 60 else "a string"


def label(path: Path) -> str:
    """A dotted field path as a user would write it: `triggers[1].poll.every`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _field(path: Path) -> str:
    return f"{label(path)}: " if path else ""


def _expected(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    hint = schema.get("x-expected")
    if hint:
        return str(hint)
    kinds = error.validator_value if error.validator == "type" else schema.get("type")
    if isinstance(kinds, str):
        kinds = [kinds]
    if isinstance(kinds, list):
        return " or ".join(TYPE_WORDS.get(k, k) for k in kinds)
    return "a different value"


class Issue(NamedTuple):
    """One worded problem; `at_key` places it at the key rather than the value.

    `missing` names a required field that is absent, `suggested` the field an unknown key
    was probably meant to be: together they let a typo be reported once, not twice.
    """

    path: Path
    message: str
    at_key: bool
    missing: str | None = None
    suggested: str | None = None


Translator = Callable[[ValidationError, Path], Iterator[Issue]]


def _mismatch(error: ValidationError, path: Path, hint: str = "") -> Issue:
    """"<field>: expected <what the schema wants>, got <what is there>"."""
    at_top = "" if path else " at the top level"
    got = describe(error.instance)
    if isinstance(error.schema, Mapping) and error.schema.get("x-redact") \
            and isinstance(error.instance, str):
        got = "a string"  # may hold credentials (a database URL with a password)
    return Issue(path, f"{_field(path)}expected {_expected(error)}{at_top}, got {got}{hint}", False)


def _type(error: ValidationError, path: Path) -> Iterator[Issue]:
    yield _mismatch(error, path)


def _required(error: ValidationError, path: Path) -> Iterator[Issue]:
    where = f" in {label(path)}" if path else ""
    for name in error.validator_value:
        if isinstance(error.instance, Mapping) and name not in error.instance:
            yield Issue(path, f"missing required field '{name}'{where}", False, missing=name)


def _additional(error: ValidationError, path: Path) -> Iterator[Issue]:
    if error.validator_value is not False or not isinstance(error.instance, Mapping):
        return
    known = list(error.schema.get("properties", {}))
    where = f" in {label(path)}" if path else ""
    for key in error.instance:
        if key in known:
            continue
        guess = closest(str(key), known)
        hint = f" (did you mean '{guess}'?)" if guess else f"; expected one of: {one_of(known)}"
        yield Issue((*path, key), f"unknown field '{key}'{where}{hint}", True, suggested=guess)


def _enum(error: ValidationError, path: Path) -> Iterator[Issue]:
    allowed = [str(v) for v in error.validator_value]
    value = error.instance
    hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
    shown = f"'{value}'" if isinstance(value, str) else describe(value)
    message = f"unknown value {shown}{hint}; expected one of: {', '.join(allowed)}"
    yield Issue(path, f"{_field(path)}{message}", False)


def _const(error: ValidationError, path: Path) -> Iterator[Issue]:
    yield _mismatch(error, path)


def _pattern(error: ValidationError, path: Path) -> Iterator[Issue]:
    if "propertyNames" in error.absolute_schema_path:
        where = f" in {label(path)}" if path else ""
        key = error.instance
        yield Issue((*path, key), f"invalid name '{key}'{where}: expected {_expected(error)}", True)
        return
    yield _mismatch(error, path)


def _bound(error: ValidationError, path: Path) -> Iterator[Issue]:
    words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
             "exclusiveMaximum": "less than"}
    rule = f"{words[str(error.validator)]} {error.validator_value}"
    yield Issue(path, f"{_field(path)}must be {rule}, got {error.instance}", False)


def _size(error: ValidationError, path: Path) -> Iterator[Issue]:
    limit = error.validator_value
    if str(error.validator).startswith("min") and limit == 1:
        yield Issue(path, f"{_field(path)}must not be empty", False)
        return
    unit = {"Items": "items", "Properties": "fields", "Length": "characters"}
    kind = next(v for k, v in unit.items() if str(error.validator).endswith(k))
    word = "at least" if str(error.validator).startswith("min") else "at most"
    yield Issue(path, f"{_field(path)}must have {word} {limit} {kind}", False)


def _unique(error: ValidationError, path: Path) -> Iterator[Issue]:
    items = list(error.instance)
    for i, item in enumerate(items):
        if item in items[:i]:
            shown = f"'{item}'" if isinstance(item, str) else describe(item)
            yield Issue((*path, i), f"{_field(path)}{shown} is listed twice", False)


def _fallback(error: ValidationError, path: Path) -> Iterator[Issue]:
    rule = f"'{error.validator}'" if error.validator else "this schema"
    yield Issue(path, f"{_field(path)}value is not allowed here (schema rule {rule})", False)


def _any_of(error: ValidationError, path: Path) -> Iterator[Issue]:
    """Report the errors of the alternative the value was evidently meant to be."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = [errs for errs in branches.values() if not any(_is_shape(e, path) for e in errs)]
    if fitting:
        for sub in min(fitting, key=len):
            yield from translate(sub)
        return
    yield from _no_alternative(error, path)


def _is_shape(error: ValidationError, path: Path) -> bool:
    return tuple(error.absolute_path) == path and error.validator in SHAPE_KEYWORDS


def _no_alternative(error: ValidationError, path: Path) -> Iterator[Issue]:
    options = [b for b in error.validator_value if isinstance(b, Mapping)]
    value = error.instance
    if isinstance(value, Mapping) and value:
        known = [name for b in options for name in b.get("properties", {})]
        unknown = [k for k in value if k not in known]
        for key in unknown:
            hint = did_you_mean(str(key), known)
            yield Issue((*path, key), f"unknown field '{key}' in {label(path)}{hint}", True)
        if unknown:
            return
    consts = [str(b["const"]) for b in options if "const" in b]
    hint = did_you_mean(value, consts) if isinstance(value, str) else ""
    yield _mismatch(error, path, hint)


TRANSLATORS: dict[str, Translator] = {
    "type": _type, "required": _required, "additionalProperties": _additional,
    "enum": _enum, "const": _const, "pattern": _pattern, "minimum": _bound, "maximum": _bound,
    "exclusiveMinimum": _bound, "exclusiveMaximum": _bound, "minItems": _size,
    "maxItems": _size, "minProperties": _size, "maxProperties": _size, "minLength": _size,
    "maxLength": _size, "uniqueItems": _unique, "anyOf": _any_of, "oneOf": _any_of,
}


def translate(error: ValidationError) -> Iterator[Issue]:
    """The located, worded issues one jsonschema error stands for."""
    path = tuple(error.absolute_path)
    yield from TRANSLATORS.get(str(error.validator), _fallback)(error, path)


def validate(
    doc: YamlDocument,
    instance: Any,
    schema: Mapping[str, Any],
    *,
    prefix: Path = (),
    ignore: Callable[[Path], bool] | None = None,
) -> set[Path]:
    """Validate `instance` (found at `prefix` in `doc`), recording every problem in `doc`.

    `ignore` drops issues at paths whose values must not be judged or echoed (secret
    references). Returns the paths that had problems, so later checks can skip them.
    """
    issues = [issue for error in Draft202012Validator(schema).iter_errors(instance)
              for issue in translate(error)]
    bad: set[Path] = set()
    for issue in dict.fromkeys(_without_typo_echoes(issues)):
        if ignore is not None and ignore(issue.path):
            continue
        full = (*prefix, *issue.path)
        bad.add(full)
        doc.error(full, _prefixed(prefix, issue.path, issue.message), at_key=issue.at_key)
    return bad


def _without_typo_echoes(issues: list[Issue]) -> list[Issue]:
    """Drop "missing required field 'x'" where an unknown key beside it is a typo of 'x'."""
    typos = {(i.path[:-1], i.suggested) for i in issues if i.suggested}
    return [i for i in issues if i.missing is None or (i.path, i.missing) not in typos]


def _prefixed(prefix: Path, where: Path, message: str) -> str:
    """Messages name paths relative to the validated value; lead with the full path."""
    if not prefix:
        return message
    inner = label(where)
    if inner and message.startswith(f"{inner}: "):
        return f"{label((*prefix, *where))}: {message[len(inner) + 2:]}"
    return f"{label(prefix)}: {message}"
