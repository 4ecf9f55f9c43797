"""Compiled mapping expressions: parsed and checked once at load, evaluated per record.

Three kinds, decided by how the value is written:

- "native": exactly one `{{ expr }}`; evaluates to the Python value of `expr`, so numbers
  stay numbers, Decimal stays Decimal and the text "478" stays text. Nothing is ever
  rendered to a string and parsed back.
- "template": text mixed with `{{ }}` or `{% %}`; evaluates to a string.
- "literal": anything without template syntax; evaluates to the value as written.

A value that fails to compile is reported, and stands in as "unusable" (see `unusable`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from jinja2 import Template, Undefined, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateSyntaxError

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.mapping.checks import find_problems, template_location
from ml_connector.engine.mapping.environment import default_environment


class ExpressionError(Exception):
    """An expression cannot be compiled; `diagnostics` holds every problem found in it.

    `location` and `message` are those of the first problem, for callers that show one.
    """

    def __init__(self, location: Location, message: str,
                 diagnostics: Sequence[Diagnostic] = ()):
        self.diagnostics = tuple(diagnostics) or (Diagnostic(location, message),)
        self.location, self.message = location, message
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def from_diagnostics(cls, diagnostics: Sequence[Diagnostic]) -> ExpressionError:
        first = diagnostics[0]
        return cls(first.location, first.message, diagnostics)


class Expression:
    """One value of a pipeline file, ready to evaluate against a record's context.

    `ast` is the template as parsed when it was compiled (None for a literal or an
    unusable value), kept so the checks that read it at load need not parse it again.
    Jinja folds its constant parts (`'U' ~ 'SD'` becomes `'USD'`) as it compiles; the
    names and fields it reads are as written.
    """

    __slots__ = ("_evaluate", "ast", "kind", "location", "names", "source")

    def __init__(self, source: str, location: Location, names: frozenset[str], kind: str,
                 evaluate: Callable[[Mapping[str, Any]], Any],
                 ast: nodes.Template | None = None):
        self.source, self.location, self.names, self.kind = source, location, names, kind
        self._evaluate, self.ast = evaluate, ast

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """The expression's value; Jinja's errors (undefined, sandbox) propagate as raised."""
        return self._evaluate(context)

    def _key(self) -> tuple[str, str, Location]:
        return (self.kind, self.source, self.location)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Expression({self.kind}, {self.source!r}, at {self.location})"


def _literal_source(value: Any) -> str:
    """The value as YAML would show it, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _literal(value: Any, location: Location) -> Expression:
    return Expression(_literal_source(value), location, frozenset(), "literal", lambda _: value)


def unusable(value: Any, location: Location) -> Expression:
    """Stands in for a value that failed to compile, so the rest of the file is still checked.

    It keeps the text as written (later checks can still read which fields it names) and is
    never evaluated: a pipeline with a problem is not built.
    """
    def refuse(_: Mapping[str, Any]) -> Any:
        raise ValueError("an expression that failed to compile cannot be evaluated")

    source = value if isinstance(value, str) else _literal_source(value)
    return Expression(source, location, frozenset(), "unusable", refuse)


def single_expression(ast: nodes.Template) -> nodes.Expr | None:
    """The expression node when the whole value is one `{{ expr }}`, else None."""
    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return None
    parts = ast.body[0].nodes
    if len(parts) != 1 or isinstance(parts[0], nodes.TemplateData):
        return None
    return parts[0]


def _native_evaluator(template: Template) -> Callable[[Mapping[str, Any]], Any]:
    """Evaluate a compiled `result = expr` template and hand back `result` itself."""
    run = TemplateExpression(template, undefined_to_none=False)

    def evaluate(context: Mapping[str, Any]) -> Any:
        value = run(context)
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        if isinstance(value, Iterator):  # selectattr, map: a one-shot generator
            value = list(value)
        return value

    return evaluate


def _compile(ast: nodes.Template) -> tuple[str, Callable[[Mapping[str, Any]], Any]]:
    """Kind and evaluator of a checked template; the only place templates are compiled."""
    env = default_environment()
    expr = single_expression(ast)
    if expr is None:
        template = env.from_string(ast)
        return "template", lambda context: template.render(context)
    assign = nodes.Assign(nodes.Name("result", "store"), expr, lineno=expr.lineno)
    template = env.from_string(nodes.Template([assign], lineno=1))
    return "native", _native_evaluator(template)


def _has_template_syntax(text: str) -> bool:
    env = default_environment()
    starts = (env.variable_start_string, env.block_start_string, env.comment_start_string)
    return any(start in text for start in starts)


def _syntax_error(exc: TemplateSyntaxError, source: str, location: Location) -> ExpressionError:
    message = (exc.message or "syntax error").strip().rstrip(".")
    message = message[:1].lower() + message[1:]
    where = template_location(location, source, exc.lineno)
    return ExpressionError(where, f"invalid expression: {message}")


def compile_expression(value: Any, location: Location,
                       allowed_names: frozenset[str]) -> Expression:
    """Check and compile one value of a pipeline file; raise ExpressionError with every problem.

    `allowed_names` are the context names the expression may read (the engine's
    CONTEXT_NAMES plus, inside a for_each item, its loop variable).
    """
    if isinstance(value, Mapping | list | tuple | set):
        kind = "a mapping" if isinstance(value, Mapping) else "a list"
        raise ExpressionError(location, f"expected a single value here, got {kind}")
    if not isinstance(value, str) or not _has_template_syntax(value):
        return _literal(value, location)
    try:
        ast = default_environment().parse(value)
        names, problems = find_problems(value, ast, default_environment(), location,
                                        allowed_names)
        if problems:
            raise ExpressionError.from_diagnostics(problems)
        kind, evaluate = _compile(ast)
    except TemplateSyntaxError as exc:
        raise _syntax_error(exc, value, location) from None
    return Expression(value, location, names, kind, evaluate, ast)
