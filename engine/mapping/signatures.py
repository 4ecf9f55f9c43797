"""Filter and test calls checked against the function they call, when a pipeline loads.

`{{ line.Amount | minor_units }}` compiles, and only fails on the first record, when the
filter is called without the currency it needs. Every filter and test is a Python function,
so its signature says what a call must pass: the checks here compare each call in the syntax
tree with it. A filter that Jinja hands the environment or the context first takes that
argument from Jinja, not from the call, and the value before `|` is the first one the call
does not write either.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

from jinja2 import nodes
from jinja2.environment import Environment
from jinja2.utils import _PassArg

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@cache
def call_parameters(function: Callable[..., Any]) -> tuple[inspect.Parameter, ...] | None:
    """What a call in an expression passes: the parameters after Jinja's and the value's.

    None when Python cannot tell (a function implemented in C without a signature); such a
    filter is not checked.
    """
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    # The signature is the wrapped function's; it names Jinja's argument only if that
    # function takes one (an async variant may take it in its wrapper and drop it).
    if _PassArg.from_obj(inspect.unwrap(function)) is not None:
        parameters = parameters[1:]
    return tuple(parameters[1:]) if parameters else None


def wrong_calls(ast: nodes.Template, env: Environment) -> Iterator[tuple[int, str]]:
    """(line, message) for every filter or test call whose arguments its function refuses."""
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        kind, table = ("filter", env.filters) if isinstance(node, nodes.Filter) \
            else ("test", env.tests)
        function = table.get(node.name)
        if function is None or node.dyn_args is not None or node.dyn_kwargs is not None:
            continue
        parameters = call_parameters(function)
        if parameters is None:
            continue
        problem = _mismatch(node.name, parameters, len(node.args), [kw.key for kw in node.kwargs])
        if problem:
            yield node.lineno, f"{kind} '{node.name}' {problem}"


def _mismatch(name: str, parameters: Sequence[inspect.Parameter], given: int,
              keywords: Sequence[str]) -> str | None:
    """What is wrong with a call passing `given` positional arguments and `keywords`."""
    positional = [p for p in parameters if p.kind in POSITIONAL]
    kinds = {p.kind for p in parameters}
    if inspect.Parameter.VAR_POSITIONAL not in kinds and given > len(positional):
        return _too_many(positional, given)
    named = [p.name for p in parameters if p.kind in NAMED]
    for key in keywords:
        if key not in named and inspect.Parameter.VAR_KEYWORD not in kinds:
            return f"has no argument '{key}' (its arguments: {', '.join(named) or 'none'})"
    covered = {p.name for p in positional[:given]} | set(keywords)
    required = [p.name for p in parameters if _required(p)]
    missing = [n for n in required if n not in covered]
    if missing:
        return f"is missing its argument '{missing[0]}': write {name}({', '.join(required)})"
    return None


def _required(parameter: inspect.Parameter) -> bool:
    return parameter.default is inspect.Parameter.empty and parameter.kind in \
        (*POSITIONAL, inspect.Parameter.KEYWORD_ONLY)


def _too_many(positional: Sequence[inspect.Parameter], given: int) -> str:
    if not positional:
        return f"takes no arguments, got {given}"
    names = ", ".join(p.name for p in positional)
    noun = "argument" if len(positional) == 1 else "arguments"
    return f"takes at most {len(positional)} {noun} ({names}), got {given}"
