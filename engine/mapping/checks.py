"""Load-time checks of one parsed expression, each problem located in the YAML file.

Jinja itself reports only the first unknown filter, and only when the template is compiled;
walking the syntax tree finds every unknown filter, test and name, and every call with the
wrong arguments, at once, so a user fixes a pipeline file in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable

from jinja2 import meta, nodes
from jinja2.environment import Environment

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.mapping.signatures import wrong_calls

# Filters whose first positional argument names a test or a filter, checked like one.
_TEST_ARGUMENT = {"select": 0, "reject": 0, "selectattr": 1, "rejectattr": 1}
_FILTER_ARGUMENT = {"map": 0}
_UNSUPPORTED_TAGS = {nodes.Extends: "extends", nodes.Include: "include",
                     nodes.Import: "import", nodes.FromImport: "from ... import"}


def template_location(location: Location, source: str, lineno: int) -> Location:
    """Where line `lineno` of an expression sits in the YAML file.

    A value that holds a line break was written as a block scalar (`|`), whose first
    line of text is the line after the node's start; a one-line value is on the node's line.
    """
    if "\n" not in source:
        return location
    return Location(location.file, location.line + max(lineno, 1), location.col)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or '' when none is close."""
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _named_references(ast: nodes.Template) -> Iterable[tuple[str, str, int]]:
    """(kind, name, line) of every filter and test the expression refers to by name."""
    for test in ast.find_all(nodes.Test):
        yield "test", test.name, test.lineno
    for node in ast.find_all(nodes.Filter):
        yield "filter", node.name, node.lineno
        for table, kind in ((_TEST_ARGUMENT, "test"), (_FILTER_ARGUMENT, "filter")):
            index = table.get(node.name)
            if index is None or index >= len(node.args):
                continue
            arg = node.args[index]
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                yield kind, arg.value, arg.lineno


def unknown_callables(ast: nodes.Template, env: Environment) -> list[tuple[str, str, int]]:
    """Filters and tests (kind, name, line) that the environment does not provide."""
    known = {"filter": env.filters, "test": env.tests}
    return [ref for ref in _named_references(ast) if ref[1] not in known[ref[0]]]


def undeclared_names(source: str, ast: nodes.Template, env: Environment,
                     unknown: Collection[tuple[str, str, int]]) -> frozenset[str]:
    """Names the expression reads from the context.

    Jinja's analysis compiles the template, which stops at an unknown filter; those are
    stood in for by placeholders so the names are still found in the same pass.
    """
    if unknown:
        probe = env.overlay()
        probe.filters = {**env.filters, **{n: str for k, n, _ in unknown if k == "filter"}}
        probe.tests = {**env.tests, **{n: bool for k, n, _ in unknown if k == "test"}}
        ast = probe.parse(source)
    return frozenset(meta.find_undeclared_variables(ast))


def _first_line(ast: nodes.Template, name: str) -> int:
    lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines, default=1)


def find_problems(source: str, ast: nodes.Template, env: Environment, location: Location,
                  allowed_names: frozenset[str]) -> tuple[frozenset[str], list[Diagnostic]]:
    """The names an expression uses and every problem found in it, in source order."""
    found: list[tuple[int, str]] = []
    unknown = unknown_callables(ast, env)
    for kind, name, line in unknown:
        table = env.filters if kind == "filter" else env.tests
        found.append((line, f"unknown {kind} {name!r}{did_you_mean(name, table)}"))
    found.extend(wrong_calls(ast, env))
    for node_type, tag in _UNSUPPORTED_TAGS.items():
        for node in ast.find_all(node_type):
            found.append((node.lineno, f"'{tag}' is not available in pipeline expressions"))
    names = undeclared_names(source, ast, env, unknown)
    available = ", ".join(sorted(allowed_names))
    for name in sorted(names - allowed_names - env.globals.keys()):
        found.append((_first_line(ast, name), f"unknown name {name!r} in expression"
                       f"{did_you_mean(name, allowed_names)}; available: {available}"))
    found.sort(key=lambda item: item[0])
    return names, [Diagnostic(template_location(location, source, line), message)
                   for line, message in found]
